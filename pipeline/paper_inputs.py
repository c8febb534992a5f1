"""What `paper_tables --mistakes` reads besides the mistakes file to measure Vasudevan et
al.'s WordNet distances: each image's labels and each class's WordNet ancestors. No database:
ImageNet's wnids come from timm, the hierarchy from nltk's WordNet (catalogue.wordnet_data
makes it readable offline)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from core.errors import FinelabelError
from pipeline.rules import wordnet


class PaperInputError(FinelabelError, ValueError):
    """A labels file that cannot be read."""


def image_key(name: str) -> str:
    """A validation image's file name without folder or extension."""
    return Path(str(name)).name.split(".")[0]


def real_labels() -> dict[str, list[int]]:
    """ReaL's labels as timm ships them (entry i: validation image i+1), by image key."""
    import timm

    path = Path(timm.__file__).resolve().parent / "data" / "_info" / "imagenet_real_labels.json"
    lists = json.loads(path.read_text())
    return {f"ILSVRC2012_val_{n + 1:08d}": labels for n, labels in enumerate(lists)}


def labels_file(path: Path) -> dict[str, list[int]]:
    """A JSON object: image file name -> a class index or a list of them."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PaperInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise PaperInputError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PaperInputError(f"{path}: expected an object, image -> class index(es)")
    out = {}
    for image, value in data.items():
        values = value if isinstance(value, list) else [value]
        try:
            out[image_key(image)] = [int(v) for v in values]
        except (TypeError, ValueError):
            raise PaperInputError(f"{path}: {image}: {value!r} is no class index") from None
    return out


def imagenet_ancestors(indices: Iterable[int]) -> dict[int, dict[str, int]]:
    """Class index -> its WordNet ancestors with their distances, for ImageNet's classes."""
    from timm.data import ImageNetInfo

    from catalogue.wordnet_data import ensure_wordnet

    ensure_wordnet()
    wnids = ImageNetInfo("imagenet-1k").label_names()
    return {
        i: wordnet.hypernym_distances(wordnet.synset_for_wnid(wnids[i]))
        for i in sorted(set(indices))
        if 0 <= i < len(wnids)
    }
