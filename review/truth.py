"""Ground-truth sets: imported (ReaL, or any per-image label lists), from a campaign's crowd
labels, and the expert panel's. Each import replaces the set's rows for the images it covers,
in one transaction; bad input stores nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.db import transaction

from catalogue.models import Dataset, Image, LabelClass
from core.errors import FinelabelError
from pipeline.models import Campaign, ImageInclusion, ImageObjectLabel, PotentialLabel
from review.models import GroundTruthSet, TruthLabel

EXPERT_SET = "expert"
REAL_NAME = re.compile(r"ILSVRC2012_val_(\d{8})")
CORRECT, WRONG, UNCLEAR = (
    TruthLabel.Status.CORRECT,
    TruthLabel.Status.WRONG,
    TruthLabel.Status.UNCLEAR,
)


class GroundTruthError(FinelabelError, ValueError):
    """Bad ground-truth input; nothing was stored."""


@dataclass
class ImportReport:
    truth_set: GroundTruthSet
    images: int = 0  # images given labels
    labels: int = 0  # rows stored
    unmatched: list[str] = field(default_factory=list)  # keys that name no image of the dataset
    empty: int = 0  # images with an empty label list (skipped)

    def summary(self) -> str:
        return (
            f"{self.truth_set.name}: {self.images} images, {self.labels} labels; "
            f"{self.empty} with no label skipped; {len(self.unmatched)} keys match no image"
        )


def real_labels_path() -> Path:
    """The ReaL labels shipped with timm (one list of class indices per validation image)."""
    import timm

    return Path(timm.__file__).resolve().parent / "data" / "_info" / "imagenet_real_labels.json"


def _class_lookup() -> dict[str, int]:
    """Class index (as text) and wnid -> LabelClass pk."""
    lookup: dict[str, int] = {}
    for pk, index, wnid in LabelClass.objects.values_list("pk", "index", "wnid"):
        lookup[str(index)] = pk
        lookup[wnid] = pk
    return lookup


def image_keys(dataset: Dataset) -> dict[str, int]:
    """Every name an image can be given by in a label file -> image pk: its public id, its
    source's file name with and without extension, and its ILSVRC2012 validation number."""
    keys: dict[str, int] = {}
    for pk, public_id, source in Image.objects.filter(dataset=dataset).values_list(
        "pk", "public_id", "source"
    ):
        name = PurePosixPath(source.replace("\\", "/")).name
        keys[public_id] = keys[name] = keys[name.rsplit(".", 1)[0]] = pk
        match = REAL_NAME.search(source)
        if match:
            keys[f"#{int(match.group(1))}"] = pk
    return keys


def _read_json(path: Path) -> object:
    try:
        with open(path) as handle:
            return json.load(handle)
    except OSError as exc:
        raise GroundTruthError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise GroundTruthError(f"{path} is not JSON: {exc}") from exc


def read_label_lists(path: Path) -> dict[str, list]:
    """A label file as key -> labels. Two shapes: ReaL's list (entry i is validation image
    i+1, keyed '#<i+1>') or an object mapping an image key to its labels."""
    data = _read_json(path)
    if isinstance(data, list):
        return {f"#{i + 1}": labels for i, labels in enumerate(data)}
    if isinstance(data, dict):
        return data
    raise GroundTruthError(f"{path}: expected a JSON list (ReaL) or object of label lists")


def _truth_set(name: str, kind: str, exhaustive: bool, description: str, campaign=None):
    truth_set, _ = GroundTruthSet.objects.update_or_create(
        name=name,
        defaults={
            "kind": kind,
            "exhaustive": exhaustive,
            "description": description,
            "campaign": campaign,
        },
    )
    return truth_set


def _replace_rows(truth_set: GroundTruthSet, rows: Mapping[int, Mapping[int, str]]) -> int:
    TruthLabel.objects.filter(truth_set=truth_set, image_id__in=list(rows)).delete()
    objs = [
        TruthLabel(truth_set=truth_set, image_id=image, label_id=label, status=status)
        for image, statuses in rows.items()
        for label, status in statuses.items()
    ]
    TruthLabel.objects.bulk_create(objs, batch_size=5000)
    return len(objs)


def import_label_lists(
    dataset: Dataset,
    entries: Mapping[str, object],
    name: str,
    exhaustive: bool,
    description: str = "",
) -> ImportReport:
    """Store per-image lists of correct labels (class indices or wnids) as an imported set.
    Keys that match no image are reported; a label that names no class refuses the file."""
    classes, images = _class_lookup(), image_keys(dataset)
    rows: dict[int, dict[int, str]] = {}
    unmatched, empty = [], 0
    for key, labels in entries.items():
        if not isinstance(labels, list):
            raise GroundTruthError(f"labels of {key!r} must be a list, got {labels!r}")
        unknown = [label for label in labels if str(label) not in classes]
        if unknown:
            raise GroundTruthError(f"labels of {key!r} name no class: {unknown[:5]}")
        image = images.get(str(key))
        if image is None:
            unmatched.append(str(key))
        elif not labels:
            empty += 1  # ReaL: no label fits (excluded from its evaluation)
        else:
            rows[image] = {classes[str(label)]: CORRECT for label in labels}
    with transaction.atomic():
        truth_set = _truth_set(name, GroundTruthSet.Kind.IMPORTED, exhaustive, description)
        stored = _replace_rows(truth_set, rows)
    return ImportReport(truth_set, len(rows), stored, unmatched, empty)


def import_file(
    dataset: Dataset, path: Path, name: str, exhaustive: bool, description: str = ""
) -> ImportReport:
    return import_label_lists(
        dataset, read_label_lists(path), name, exhaustive, description or f"imported from {path}"
    )


def crowd_truth(campaign: Campaign, name: str | None = None) -> ImportReport:
    """The crowd pipeline's labels as ground truth. For an image with final labels from
    CLASSIFY: the label of each object is correct, the other labels workers gave an object
    are unclear (whatever their selection frequency), and the image's other potential labels
    (every ensemble top-k label) are wrong. For an "easy" image (no CLASSIFY answers; the
    aggregation stores it as one object named by its dataset label): the dataset label is
    correct, nothing else is judged. A run replaces the set's previous rows."""
    easy = dict(
        ImageInclusion.objects.filter(
            campaign=campaign, category=ImageInclusion.Category.EASY
        ).values_list("image_id", "image__label_id")
    )
    rows: dict[int, dict[int, str]] = {}
    object_labels = ImageObjectLabel.objects.filter(
        object__image_labels__campaign=campaign
    ).values_list(
        "object__image_labels__image_id",
        "label_id",
        "object__label_id",
        "object__image_labels__answers",
    )
    for image, label, object_label, answers in object_labels:
        if not answers and image in easy:
            continue  # no worker saw its other labels: judged below, the dataset label only
        statuses = rows.setdefault(image, {})
        if label == object_label:
            statuses[label] = CORRECT
        else:
            statuses.setdefault(label, UNCLEAR)
    for image, label in PotentialLabel.objects.filter(
        campaign=campaign, image_id__in=list(rows)
    ).values_list("image_id", "label_id"):
        rows[image].setdefault(label, WRONG)
    for image, label in easy.items():
        rows.setdefault(image, {label: CORRECT})
    name = name or f"crowd-{campaign.pk}"
    with transaction.atomic():
        truth_set = _truth_set(
            name, GroundTruthSet.Kind.CROWD, False, f"crowd labels of {campaign}", campaign
        )
        TruthLabel.objects.filter(truth_set=truth_set).delete()
        stored = _replace_rows(truth_set, rows)
    return ImportReport(truth_set, len(rows), stored)


def expert_set() -> GroundTruthSet:
    truth_set, _ = GroundTruthSet.objects.get_or_create(
        name=EXPERT_SET,
        defaults={"kind": GroundTruthSet.Kind.EXPERT, "description": "the review panel"},
    )
    return truth_set


def record_expert(image_id: int, label_id: int, status: str | None) -> None:
    """Write (or, with None, remove) the panel's judgment of one (image, label)."""
    truth_set = expert_set()
    if status is None:
        TruthLabel.objects.filter(
            truth_set=truth_set, image_id=image_id, label_id=label_id
        ).delete()
        return
    TruthLabel.objects.update_or_create(
        truth_set=truth_set, image_id=image_id, label_id=label_id, defaults={"status": status}
    )


def resolve_sets(names: Iterable[str]) -> list[GroundTruthSet]:
    """Ground-truth sets by name, in the order given; a clear error for unknown names."""
    names = [n for n in names if n]
    found = {s.name: s for s in GroundTruthSet.objects.filter(name__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        known = ", ".join(GroundTruthSet.objects.values_list("name", flat=True)) or "none"
        raise GroundTruthError(f"no ground-truth set {', '.join(missing)} (known: {known})")
    return [found[n] for n in names]
