"""Import a model's top-5 predictions on a campaign's images, from CSV or NPY, as
ModelPrediction rows, so that any model can be scored against the campaign's labels.

CSV: one row per image: the image's public id or source, then its top-5 classes, best first,
as class indices or wnids; a header row is allowed. NPY: an N x 5 integer array of class
indices, row i for the i-th image of an image list (a text file of public ids or sources, one a
line), or of the dataset's images in import order when no list is given.

All or nothing: any bad row (unknown image or class, wrong number of columns, an image twice)
raises ImportPredictionsError listing the first problems, and nothing is stored. Re-importing
a model replaces its predictions on those images."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from django.db import transaction
from tqdm import tqdm

from catalogue.models import Image, LabelClass
from core.errors import FinelabelError
from pipeline.exports import image_name
from pipeline.models import Campaign, ModelPrediction

TOP_K = 5
SHOWN_ERRORS = 10
BATCH = 2000


class ImportPredictionsError(FinelabelError, ValueError):
    pass


def _image_lookup(campaign: Campaign) -> dict[str, int]:
    """public id, source or file name (as the exports write it) -> image id, for the
    campaign's dataset; a file name that two images share names neither."""
    rows = Image.objects.filter(dataset_id=campaign.dataset_id).values_list(
        "id", "public_id", "source"
    )
    lookup: dict[str, int] = {}
    names: dict[str, int | None] = {}
    for pk, public_id, source in rows:
        lookup[source] = pk
        lookup[public_id] = pk
        name = image_name(source)
        names[name] = None if name in names else pk
    for name, pk in names.items():
        if pk is not None:
            lookup.setdefault(name, pk)
    return lookup


def _class_lookup() -> dict[str, int]:
    """class index (as text) or wnid -> class index."""
    lookup: dict[str, int] = {}
    for index, wnid in LabelClass.objects.values_list("index", "wnid"):
        lookup[str(index)] = index
        lookup[wnid] = index
    return lookup


def _fail(errors: list[str]) -> None:
    if errors:
        more = f" (and {len(errors) - SHOWN_ERRORS} more)" if len(errors) > SHOWN_ERRORS else ""
        raise ImportPredictionsError("; ".join(errors[:SHOWN_ERRORS]) + more)


def parse_rows(
    rows: Iterable[Sequence[str]], images: dict[str, int], classes: dict[str, int]
) -> dict[int, list[int]]:
    """image id -> top-5 class indices from (image, class x 5) rows; all errors collected."""
    out: dict[int, list[int]] = {}
    errors: list[str] = []
    for n, row in enumerate(rows, start=1):
        row = [cell.strip() for cell in row]
        if not row or not any(row):
            continue
        if n == 1 and row[0] not in images and row[-1] not in classes:
            continue  # a header
        if len(row) != 1 + TOP_K:
            errors.append(f"row {n}: expected an image and {TOP_K} classes, got {len(row)} fields")
            continue
        image = images.get(row[0])
        if image is None:
            errors.append(f"row {n}: no image {row[0]!r} in the campaign's dataset")
            continue
        unknown = [c for c in row[1:] if c not in classes]
        if unknown:
            errors.append(f"row {n}: unknown classes {', '.join(unknown)}")
            continue
        if image in out:
            errors.append(f"row {n}: image {row[0]!r} appears twice")
            continue
        out[image] = [classes[c] for c in row[1:]]
    _fail(errors)
    return out


def read_csv(path: Path, campaign: Campaign) -> dict[int, list[int]]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return parse_rows(tqdm(rows, desc="rows", unit="row"), _image_lookup(campaign), _class_lookup())


def read_npy(path: Path, campaign: Campaign, image_list: Path | None) -> dict[int, list[int]]:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ImportPredictionsError(f"{path}: not a NumPy .npy array ({exc})") from exc
    if array.ndim != 2 or array.shape[1] != TOP_K or not np.issubdtype(array.dtype, np.integer):
        raise ImportPredictionsError(
            f"{path}: expected an N x {TOP_K} integer array, got {array.shape} {array.dtype}"
        )
    if image_list is None:
        keys = list(
            Image.objects.filter(dataset_id=campaign.dataset_id)
            .order_by("id")
            .values_list("public_id", flat=True)
        )
    else:
        keys = [line.strip() for line in image_list.read_text().splitlines() if line.strip()]
    if len(keys) != len(array):
        raise ImportPredictionsError(
            f"{path} has {len(array)} rows but the image list has {len(keys)} images"
        )
    rows = ([key, *map(str, top)] for key, top in zip(keys, array.tolist(), strict=True))
    classes = {k: v for k, v in _class_lookup().items() if k.isdigit()}  # indices only
    return parse_rows(tqdm(rows, total=len(keys), desc="rows"), _image_lookup(campaign), classes)


@transaction.atomic
def store_predictions(model: str, predictions: dict[int, list[int]], weights: str) -> int:
    """Replace the model's predictions on these images; returns how many were stored."""
    if not model.strip():
        raise ImportPredictionsError("The model needs a name.")
    ids = list(predictions)
    for start in range(0, len(ids), BATCH):
        ModelPrediction.objects.filter(
            model_name=model, random_weights=False, image_id__in=ids[start : start + BATCH]
        ).delete()
    ModelPrediction.objects.bulk_create(
        [
            ModelPrediction(
                image_id=image, model_name=model, weights=weights, labels=top, probabilities=[]
            )
            for image, top in predictions.items()
        ],
        batch_size=BATCH,
    )
    return len(ids)


def import_predictions(
    campaign: Campaign, model: str, path: Path, image_list: Path | None = None
) -> int:
    """Read a CSV or NPY file of top-5 predictions and store them for `model`."""
    if not path.exists():
        raise ImportPredictionsError(f"{path}: no such file")
    if path.suffix.lower() == ".npy":
        predictions = read_npy(path, campaign, image_list)
    elif path.suffix.lower() in (".csv", ".txt"):
        predictions = read_csv(path, campaign)
    else:
        raise ImportPredictionsError(f"{path}: expected a .csv or .npy file")
    if not predictions:
        raise ImportPredictionsError(f"{path}: no predictions in it")
    return store_predictions(model, predictions, weights=f"imported:{path.name}")
