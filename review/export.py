"""Exports of the expert review, streamed like the label exports (pipeline.exports): the
per-image multi-label ground truth of a dataset (one record per ground-truth set and image:
correct, wrong and unclear labels as class indices, and the image's problem flags) and every
review vote (superseded ones included) with its item's panel outcome. Read in keyset chunks,
a fixed number of queries per chunk; written as JSONL or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from catalogue.models import Dataset
from core.errors import FinelabelError
from pipeline.exports import image_name
from review.models import GroundTruthSet, ProblemFlag, ReviewItem, ReviewVote, TruthLabel

WHAT = ("ground-truth", "reviews")
FORMATS = ("jsonl", "csv")
CHUNK_SIZE = 2000

TRUTH_COLUMNS = [
    "truth_set",
    "image_id",
    "image",
    "dataset_label",
    "correct",
    "wrong",
    "unclear",
    "problematic",
]
VOTE_COLUMNS = [
    "vote_id",
    "item_id",
    "image_id",
    "image",
    "label",
    "wnid",
    "reviewer",
    "verdict",
    "severity",
    "category",
    "comment",
    "duration_ms",
    "superseded",
    "created_at",
    "item_state",
    "item_decision",
    "item_severity",
    "item_category",
    "models_predicting",
]


class ReviewExportError(FinelabelError, ValueError):
    """Bad export request (unknown kind or format)."""


def check(what: str, fmt: str) -> None:
    if what not in WHAT:
        raise ReviewExportError(f"unknown export {what!r}; choose one of {', '.join(WHAT)}")
    if fmt not in FORMATS:
        raise ReviewExportError(
            f"the {what} export is written as {' or '.join(FORMATS)}, not {fmt!r}"
        )


def _flags(image_ids: Iterable[int]) -> dict[int, list[str]]:
    flags: dict[int, set[str]] = defaultdict(set)
    rows = ProblemFlag.objects.filter(image_id__in=list(image_ids)).values_list("image_id", "kind")
    for image, kind in rows:
        flags[image].add(kind)
    return {image: sorted(kinds) for image, kinds in flags.items()}


def truth_rows(dataset: Dataset, truth_sets: Sequence[GroundTruthSet] | None = None):
    """The TruthLabel rows of the export, in (set, image) order."""
    rows = TruthLabel.objects.filter(image__dataset=dataset)
    if truth_sets is not None:
        rows = rows.filter(truth_set__in=list(truth_sets))
    return rows


def count_ground_truth(dataset: Dataset, truth_sets=None) -> int:
    return truth_rows(dataset, truth_sets).values("truth_set", "image").distinct().count()


def ground_truth_records(
    dataset: Dataset,
    truth_sets: Sequence[GroundTruthSet] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[dict]:
    """One record per (ground-truth set, image of the dataset it judges), ordered by set name
    and image id: label lists sorted by class index."""
    sets = (
        list(truth_sets)
        if truth_sets is not None
        else list(GroundTruthSet.objects.order_by("name"))
    )
    for truth_set in sorted(sets, key=lambda s: s.name):
        after = 0
        while True:
            image_ids = list(
                truth_rows(dataset, [truth_set])
                .filter(image_id__gt=after)
                .order_by("image_id")
                .values_list("image_id", flat=True)
                .distinct()[:chunk_size]
            )
            if not image_ids:
                break
            after = image_ids[-1]
            yield from _truth_chunk(truth_set, image_ids)


def _truth_chunk(truth_set: GroundTruthSet, image_ids: list[int]) -> Iterator[dict]:
    labels: dict[int, dict[str, list[int]]] = defaultdict(
        lambda: {s: [] for s in TruthLabel.Status.values}
    )
    images: dict[int, tuple[str, str, int]] = {}
    rows = (
        TruthLabel.objects.filter(truth_set=truth_set, image_id__in=image_ids)
        .order_by("image_id", "label__index")
        .values_list(
            "image_id",
            "image__public_id",
            "image__source",
            "image__label__index",
            "label__index",
            "status",
        )
    )
    for image, public_id, source, dataset_label, index, status in rows:
        images[image] = (str(public_id), source, dataset_label)
        labels[image][status].append(index)
    flags = _flags(image_ids)
    for image in image_ids:
        public_id, source, dataset_label = images[image]
        yield {
            "truth_set": truth_set.name,
            "image_id": public_id,
            "image": image_name(source),
            "dataset_label": dataset_label,
            **labels[image],
            "problematic": flags.get(image, []),
        }


def count_votes(dataset: Dataset) -> int:
    return ReviewVote.objects.filter(item__image__dataset=dataset).count()


def vote_records(dataset: Dataset, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """Every vote on the dataset's review items, oldest first, with its item's outcome."""
    votes = (
        ReviewVote.objects.filter(item__image__dataset=dataset)
        .select_related("reviewer", "item__image", "item__label")
        .order_by("pk")
    )
    after = 0
    while True:
        chunk = list(votes.filter(pk__gt=after)[:chunk_size])
        if not chunk:
            return
        after = chunk[-1].pk
        for vote in chunk:
            yield vote_record(vote)


def vote_record(vote: ReviewVote) -> dict:
    item: ReviewItem = vote.item
    return {
        "vote_id": vote.pk,
        "item_id": item.pk,
        "image_id": str(item.image.public_id),
        "image": image_name(item.image.source),
        "label": item.label.index,
        "wnid": item.label.wnid,
        "reviewer": vote.reviewer.get_username(),
        "verdict": vote.verdict,
        "severity": vote.severity,
        "category": vote.category,
        "comment": vote.comment,
        "duration_ms": vote.duration_ms,
        "superseded": vote.superseded,
        "created_at": vote.created_at.isoformat(),
        "item_state": item.state,
        "item_decision": item.decision,
        "item_severity": item.severity,
        "item_category": item.category,
        "models_predicting": item.models_predicting,
    }


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def write_jsonl(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield _dumps(record) + "\n"


def _cell(value) -> object:
    """Lists of labels as space-separated values; None as empty; booleans as true/false."""
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def write_csv(records: Iterable[dict], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield _drain(buffer)
    for record in records:
        writer.writerow([_cell(record[c]) for c in columns])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def records_for(what: str, dataset: Dataset, truth_sets=None, chunk_size: int = CHUNK_SIZE):
    if what == "ground-truth":
        return ground_truth_records(dataset, truth_sets, chunk_size)
    return vote_records(dataset, chunk_size)


def row_count(what: str, dataset: Dataset, truth_sets=None) -> int:
    if what == "ground-truth":
        return count_ground_truth(dataset, truth_sets)
    return count_votes(dataset)


def export_stream(
    what: str, fmt: str, dataset: Dataset, truth_sets=None, *, records=None
) -> Iterator[str]:
    """The whole export as text pieces; lazy (no query before the first piece is asked for).
    `records` replaces `records_for(...)` (e.g. wrapped in a progress bar)."""
    check(what, fmt)
    if records is None:
        records = records_for(what, dataset, truth_sets)
    if fmt == "csv":
        return write_csv(records, TRUTH_COLUMNS if what == "ground-truth" else VOTE_COLUMNS)
    return write_jsonl(records)
