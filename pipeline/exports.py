"""Exports of a campaign's labels, streamed: one plain record per image, read in keyset chunks
so memory stays flat whatever the dataset's size, then written as JSON, JSONL, CSV or in the
shape of the published ImageNetMultiLabel data (classify_dev.jsonl without `responses`).

`iter_records` is the selector (ORM, a fixed number of queries per chunk); the writers are pure
generators of text over records. The API and `manage.py export_labels` share both.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from django.db.models import Exists, OuterRef

from catalogue.models import Image, LabelClass
from core.errors import FinelabelError
from pipeline.models import (
    Campaign,
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
)

FORMATS = ("json", "jsonl", "csv", "imagenet-multilabel")
CONTENT_TYPES = {
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "csv": "text/csv",
    "imagenet-multilabel": "application/x-ndjson",
}
EXTENSIONS = {"json": "json", "jsonl": "jsonl", "csv": "csv", "imagenet-multilabel": "jsonl"}
CHUNK_SIZE = 2000
FIRST_CHUNK_SIZE = 100

CSV_COLUMNS = [
    "image_id",
    "image",
    "dataset_label",
    "dataset_wnid",
    "inclusion",
    "num_objects",
    "main_label",
    "main_wnid",
    "main_object",
    "dataset_object",
    "answers",
    "object_labels",
    "objects",
    "candidates",
    "potential_labels",
    "selection_frequencies",
    "random_weights",
]


class ExportError(FinelabelError, ValueError):
    """Bad export request (unknown format)."""


def image_name(source: str) -> str:
    """The file name an image was imported from (e.g. ILSVRC2012_val_00000004.JPEG)."""
    return source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def count_rows(campaign: Campaign, labelled_only: bool = False) -> int:
    return _images(campaign, labelled_only).count()


# ImageLabels.objects is the reverse accessor of ImageObject.image_labels (related_name
# "objects"), not a manager: ImageLabels.objects is its manager.


def _images(campaign: Campaign, labelled_only: bool):
    images = Image.objects.filter(dataset_id=campaign.dataset_id)
    if labelled_only:
        labelled = ImageLabels.objects.filter(campaign=campaign, image=OuterRef("pk"))
        images = images.filter(Exists(labelled))
    return images


def iter_records(
    campaign: Campaign,
    *,
    labelled_only: bool = False,
    full: bool = True,
    with_predictions: bool = True,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[dict]:
    """One record per image of the campaign's dataset, in image id order. `labelled_only`
    keeps the images with final labels (the CLASSIFY follow-up). Keyset pagination: each
    chunk is a handful of queries and nothing of an earlier chunk is kept."""
    classes = dict(LabelClass.objects.values_list("id", "index"))
    wnids = dict(LabelClass.objects.values_list("id", "wnid"))
    last_id = 0
    size = min(FIRST_CHUNK_SIZE, chunk_size)  # a small first chunk: the first rows go out soon
    while True:
        chunk = list(
            _images(campaign, labelled_only)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "public_id", "source", "label_id")[:size]
        )
        if not chunk:
            return
        last_id = chunk[-1][0]
        yield from _chunk_records(campaign, chunk, classes, wnids, full, with_predictions)
        size = chunk_size


def _chunk_records(
    campaign: Campaign,
    chunk: list[tuple],
    classes: dict[int, int],
    wnids: dict[int, str],
    full: bool,
    with_predictions: bool,
) -> Iterator[dict]:
    """Records of one chunk. Without `full` only the final labels and inclusion are read
    (what the ImageNetMultiLabel shape needs); the other fields stay empty."""
    # The chunk is every selected image of the dataset with an id in this range: filtering
    # on the range (and the campaign or dataset) is much cheaper to build than `id IN (...)`,
    # and rows of images left out of the chunk are simply not looked up.
    ids = (chunk[0][0], chunk[-1][0])
    final = {
        row["image_id"]: row
        for row in ImageLabels.objects.filter(campaign=campaign, image__id__range=ids).values(
            "id",
            "image_id",
            "main_label_id",
            "num_objects",
            "main_object",
            "dataset_object",
            "answers",
        )
    }
    objects = _objects(list(final.values()), classes)
    in_chunk = {"campaign": campaign, "image__id__range": ids}
    inclusion = dict(ImageInclusion.objects.filter(**in_chunk).values_list("image_id", "category"))
    candidates: dict[int, list[int]] = defaultdict(list)
    potential: dict[int, list[int]] = defaultdict(list)
    frequencies: dict[int, dict[str, float | None]] = defaultdict(dict)
    predictions: dict[int, list[dict]] = defaultdict(list)
    random_ids: set[int] = set()
    if full:
        for image_id, label in (
            CandidateLabel.objects.filter(**in_chunk)
            .order_by("image_id", "rank")
            .values_list("image_id", "label_id")
        ):
            candidates[image_id].append(classes[label])
        for image_id, label in (
            PotentialLabel.objects.filter(**in_chunk)
            .order_by("image_id", "-model_count", "label_id")
            .values_list("image_id", "label_id")
        ):
            potential[image_id].append(classes[label])
        for image_id, label, freq in (
            SelectionFrequency.objects.filter(**in_chunk)
            .order_by("image_id", "label_id")
            .values_list("image_id", "label_id", "frequency")
        ):
            frequencies[image_id][str(classes[label])] = freq
        # Ids in the range from another dataset are read and never looked up: cheaper than
        # a join with the image table, which the planner answers with a scan of all images.
        in_dataset = {"image__id__range": ids}
        if with_predictions:
            for image_id, model, random_weights, labels, probs in (
                ModelPrediction.objects.filter(**in_dataset)
                .order_by("image_id", "model_name", "random_weights")
                .values_list("image_id", "model_name", "random_weights", "labels", "probabilities")
            ):
                predictions[image_id].append(
                    {
                        "model": model,
                        "random_weights": random_weights,
                        "labels": labels,
                        "probabilities": probs,
                    }
                )
                if random_weights:
                    random_ids.add(image_id)
        else:
            random_ids = set(
                ModelPrediction.objects.filter(random_weights=True, **in_dataset).values_list(
                    "image_id", flat=True
                )
            )
    for image_id, public_id, source, label_id in chunk:
        labels = final.get(image_id)
        named = objects.get(labels["id"]) if labels else None
        yield {
            "image_id": public_id,
            "image": image_name(source),
            "dataset_label": classes[label_id],
            "dataset_wnid": wnids[label_id],
            "inclusion": inclusion.get(image_id),
            "num_objects": labels["num_objects"] if labels else None,
            "main_label": classes[labels["main_label_id"]] if labels else None,
            "main_wnid": wnids[labels["main_label_id"]] if labels else None,
            "main_object": labels["main_object"] if labels else None,
            "dataset_object": labels["dataset_object"] if labels else None,
            "answers": labels["answers"] if labels else None,
            "objects": [labels_ for _, labels_ in named] if named is not None else None,
            "object_labels": [label for label, _ in named] if named is not None else None,
            "candidates": candidates.get(image_id, []),
            "potential_labels": potential.get(image_id, []),
            "selection_frequencies": frequencies.get(image_id, {}),
            "predictions": predictions.get(image_id, []),
            "random_weights": image_id in random_ids,
        }


def _objects(final: list[dict], classes: dict[int, int]) -> dict[int, list[tuple]]:
    """Objects of the ImageLabels rows `final`, by object index: (the object's label, {class
    index as string: [share within the object, selection frequency]} as in the published
    data). Looked up by id lists: by index, where a join would scan every object."""
    objects = list(
        ImageObject.objects.filter(image_labels_id__in=[row["id"] for row in final])
        .order_by("image_labels_id", "index")
        .values_list("id", "image_labels_id", "label_id")
    )
    labels: dict[int, dict[str, list[float]]] = defaultdict(dict)
    for object_id, label, share, freq in (
        ImageObjectLabel.objects.filter(object_id__in=[o[0] for o in objects])
        .order_by("object_id", "id")
        .values_list("object_id", "label_id", "share", "selection_frequency")
    ):
        labels[object_id][str(classes[label])] = [share, freq]
    out: dict[int, list[tuple]] = defaultdict(list)
    for object_id, labels_id, label in objects:
        out[labels_id].append((classes[label], labels[object_id]))
    return out


# Writers: pure generators of text.


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def write_jsonl(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield _dumps(record) + "\n"


def write_json(records: Iterable[dict], header: Callable[[], dict]) -> Iterator[str]:
    """{"campaign": header(), "images": [...]}, written as the records come."""
    yield '{"campaign":' + _dumps(header()) + ',"images":['
    separator = "\n"
    for record in records:
        yield separator + _dumps(record)
        separator = ",\n"
    yield "\n]}\n"


def write_csv(records: Iterable[dict]) -> Iterator[str]:
    """One row per image; lists as space-separated class indices, nested values as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)  # the header goes out before the first image is read
    for record in records:
        objects = record["objects"]
        writer.writerow(
            [
                record["image_id"],
                record["image"],
                record["dataset_label"],
                record["dataset_wnid"],
                _blank(record["inclusion"]),
                _blank(record["num_objects"]),
                _blank(record["main_label"]),
                _blank(record["main_wnid"]),
                _blank(record["main_object"]),
                _blank(record["dataset_object"]),
                _blank(record["answers"]),
                " ".join(map(str, record["object_labels"] or [])),
                _dumps(objects) if objects is not None else "",
                " ".join(map(str, record["candidates"])),
                " ".join(map(str, record["potential_labels"])),
                _dumps(record["selection_frequencies"]),
                "true" if record["random_weights"] else "false",
            ]
        )
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _blank(value) -> object:
    return "" if value is None else value


def imagenet_multilabel(record: dict) -> dict:
    """A record in the shape of classify_dev.jsonl (without the raw `responses`)."""
    return {
        "image": record["image"],
        "imagenet_label": record["dataset_label"],
        "reference": {
            "num_objects": record["num_objects"],
            "main_label": record["main_label"],
            "objects": record["objects"],
            "main_object": record["main_object"],
            "imagenet_object": record["dataset_object"],
        },
    }


def write_imagenet_multilabel(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield _dumps(imagenet_multilabel(record)) + "\n"


def campaign_header(campaign: Campaign) -> dict:
    random_weights = ModelPrediction.objects.filter(
        image__dataset_id=campaign.dataset_id, random_weights=True
    ).exists()
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "dataset": campaign.dataset.name,
        "state": campaign.state,
        "random_weights": random_weights,
    }


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def records_for(campaign: Campaign, fmt: str, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """The records format `fmt` needs: the ImageNetMultiLabel shape holds the images with
    final labels only; the CSV and ImageNetMultiLabel formats carry no raw predictions."""
    check_format(fmt)
    return iter_records(
        campaign,
        labelled_only=fmt == "imagenet-multilabel",
        full=fmt != "imagenet-multilabel",
        with_predictions=fmt in ("json", "jsonl"),
        chunk_size=chunk_size,
    )


def row_count(campaign: Campaign, fmt: str) -> int:
    return count_rows(campaign, labelled_only=fmt == "imagenet-multilabel")


def export_stream(
    campaign: Campaign, fmt: str, *, chunk_size: int = CHUNK_SIZE, records=None
) -> Iterator[str]:
    """The whole export of `campaign` in format `fmt`, as a stream of text pieces; `records`
    replaces `records_for(campaign, fmt)` (e.g. wrapped in a progress bar). Lazy: no query
    runs before the first piece is asked for, and a header comes before any image query."""
    check_format(fmt)
    if records is None:
        records = records_for(campaign, fmt, chunk_size)
    if fmt == "json":
        return write_json(records, lambda: campaign_header(campaign))
    if fmt == "csv":
        return write_csv(records)
    if fmt == "imagenet-multilabel":
        return write_imagenet_multilabel(records)
    return write_jsonl(records)


def batched(pieces: Iterable[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Join small text pieces into blocks of about `size` bytes for the socket, yielding the
    first piece at once so the client sees bytes before the first chunk is read."""
    buffer: list[str] = []
    length = 0
    first = True
    for piece in pieces:
        if first:
            first = False
            yield piece.encode()
            continue
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()
