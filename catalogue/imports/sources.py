"""Where images come from. Each source yields ImportItems (a locator and a label key) without
reading any image; reading happens in the worker processes (processing.py)."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from core.errors import FinelabelError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".jpe"}
PATH_COLUMNS = ("path", "url", "source", "file", "path_or_url")
LABEL_COLUMNS = ("label", "wnid", "class", "class_index")


class SourceError(FinelabelError, ValueError):
    """The source itself cannot be read (missing folder, bad manifest, bad S3 URI)."""


@dataclass(frozen=True)
class ImportItem:
    locator: str  # local path, http(s) URL or s3://bucket/key
    label_key: str  # wnid or class index, as the source spells it


def folder_items(root: Path) -> list[ImportItem]:
    """An ImageNet-style folder: one sub-folder per class (named by wnid), files inside.
    Files with unknown suffixes are still offered, so that they are reported, not skipped."""
    root = Path(root)
    if not root.is_dir():
        raise SourceError(f"Image folder not found: {root}")
    items = []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in class_dir.rglob("*") if p.is_file()):
            if not path.name.startswith("."):
                items.append(ImportItem(str(path), class_dir.name))
    if not items:
        raise SourceError(
            f"No images under {root}: expected one sub-folder per class (named by its wnid) "
            "holding the image files."
        )
    return items


def _column(header: list[str], names: tuple[str, ...], path: Path) -> str:
    for name in names:
        if name in header:
            return name
    raise SourceError(
        f"Manifest {path} needs a header with one of {', '.join(names)}; it has {header}."
    )


def csv_items(path: Path) -> list[ImportItem]:
    """A CSV manifest with a header: a path or URL column and a label column (wnid or index).
    Relative paths are taken relative to the manifest's folder."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"Manifest not found: {path}")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        reader.fieldnames = header
        path_col = _column(header, PATH_COLUMNS, path)
        label_col = _column(header, LABEL_COLUMNS, path)
        items = [_manifest_item(row, path_col, label_col, path.parent) for row in reader]
    if not items:
        raise SourceError(f"Manifest {path} lists no images.")
    return items


def _manifest_item(row: dict, path_col: str, label_col: str, base: Path) -> ImportItem:
    locator = (row.get(path_col) or "").strip()
    if locator and not urlparse(locator).scheme:
        locator = str((base / locator).resolve())
    return ImportItem(locator, (row.get(label_col) or "").strip())


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise SourceError(f"Not an S3 URI (s3://bucket/prefix/): {uri}")
    return parsed.netloc, parsed.path.lstrip("/")


def s3_items(uri: str, client) -> list[ImportItem]:
    """An S3 prefix laid out like a folder: PREFIX/<wnid>/<file>."""
    bucket, prefix = parse_s3_uri(uri)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    items = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                parts = obj["Key"][len(prefix) :].split("/")
                if len(parts) >= 2 and parts[-1]:
                    items.append(ImportItem(f"s3://{bucket}/{obj['Key']}", parts[0]))
    except client.exceptions.NoSuchBucket as exc:
        raise SourceError(f"S3 bucket not found: {bucket}") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise SourceError(
            f"No AWS credentials to read {uri}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)."
        ) from exc
    except BotoConnectionError as exc:
        raise SourceError(
            f"Cannot reach S3 at {client.meta.endpoint_url} to list {uri}: set "
            "AWS_S3_ENDPOINT_URL to the address of your S3-compatible server, or check the "
            "network."
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SourceError(
            f"S3 refused to list {uri}: {error.get('Code', '?')}: {error.get('Message', exc)}"
        ) from exc
    if not items:
        raise SourceError(
            f"No images under s3://{bucket}/{prefix}: expected keys "
            f"s3://{bucket}/{prefix}<wnid>/<file>, one folder per class."
        )
    return sorted(items, key=lambda item: item.locator)


def sample_per_class(items: Iterable[ImportItem], per_class: int, seed: int) -> list[ImportItem]:
    """N items per class, chosen reproducibly for a seed whatever order the source lists."""
    by_class: dict[str, list[ImportItem]] = defaultdict(list)
    for item in items:
        by_class[item.label_key].append(item)
    chosen = []
    for label_key in sorted(by_class):
        group = sorted(by_class[label_key], key=lambda item: item.locator)
        rng = random.Random(f"{seed}:{label_key}")
        chosen.extend(group if len(group) <= per_class else rng.sample(group, per_class))
    return chosen


def iter_source(spec: str, s3_client_factory=None) -> Iterator[ImportItem]:
    """Pick the source from its spelling: s3://..., a .csv file, or a folder."""
    if spec.startswith("s3://"):
        yield from s3_items(spec, s3_client_factory())
    elif spec.lower().endswith(".csv"):
        yield from csv_items(Path(spec))
    else:
        yield from folder_items(Path(spec))
