"""Per-class views of a campaign's labels (Tsipras et al. 2020, Figs 6, 19, 20, 25): each
class of the dataset, over the aggregated images whose dataset label it is.

- multi-object images (more than one object) and their share: the classes with most
  multi-object images;
- human agreement: the share of images whose main label (CLASSIFY majority) is the dataset
  label, and the images whose main object is not the dataset label's object;
- the mean CONTAINS selection frequency of the dataset label, over the images where it was
  measured;
- each model's top-1 accuracy (top-1 is the dataset label) and multi-label accuracy (top-1 is
  the label of any object) on the class, and their mean over models.

Pure: ImageTruth rows, frequencies and predictions in, plain rows out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from pipeline.rules.label_figures import ImageId, ImageTruth

Predictions = Mapping[str, Mapping[ImageId, Sequence[int]]]  # model -> image -> top-k


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ClassRow:
    label: int
    images: int
    multi_object: int
    main_is_dataset: int  # images whose main label is the dataset label
    main_object_differs: int  # the dataset label's object is not the main object
    dataset_sf: float | None  # mean selection frequency of the dataset label (measured only)
    sf_measured: int
    top1: dict[str, float] = field(default_factory=dict)  # model -> accuracy on the class
    multilabel: dict[str, float] = field(default_factory=dict)

    @property
    def multi_share(self) -> float | None:
        return _share(self.multi_object, self.images)

    @property
    def agreement(self) -> float | None:
        """Share of the class's images whose main label is the dataset label."""
        return _share(self.main_is_dataset, self.images)

    @property
    def mean_top1(self) -> float | None:
        return fmean(self.top1.values()) if self.top1 else None

    @property
    def mean_multilabel(self) -> float | None:
        return fmean(self.multilabel.values()) if self.multilabel else None


def _accuracies(
    truths: Sequence[ImageTruth], predictions: Predictions
) -> tuple[dict[str, float], dict[str, float]]:
    """Per model, top-1 and multi-label accuracy over the images it predicted."""
    top1, multi = {}, {}
    for model, by_image in predictions.items():
        rows = [(t, by_image[t.image][0]) for t in truths if by_image.get(t.image)]
        if rows:
            top1[model] = fmean(p == t.dataset_label for t, p in rows)
            multi[model] = fmean(p in t.correct_labels for t, p in rows)
    return top1, multi


def class_rows(
    truths: Sequence[ImageTruth],
    dataset_sf: Mapping[ImageId, float | None],
    predictions: Predictions,
) -> list[ClassRow]:
    """One row per dataset label among the aggregated images, in label order. `dataset_sf`
    is image -> the selection frequency of its dataset label (None or absent: not measured)."""
    by_class: dict[int, list[ImageTruth]] = defaultdict(list)
    for t in truths:
        by_class[t.dataset_label].append(t)
    rows = []
    for label in sorted(by_class):
        members = by_class[label]
        measured = [dataset_sf[t.image] for t in members if dataset_sf.get(t.image) is not None]
        top1, multi = _accuracies(members, predictions)
        rows.append(
            ClassRow(
                label=label,
                images=len(members),
                multi_object=sum(t.multi_object for t in members),
                main_is_dataset=sum(t.main_label == t.dataset_label for t in members),
                main_object_differs=sum(t.main_object_differs for t in members),
                dataset_sf=fmean(measured) if measured else None,
                sf_measured=len(measured),
                top1=top1,
                multilabel=multi,
            )
        )
    return rows


SORT_KEYS = (
    "images",
    "multi_object",
    "multi_share",
    "agreement",
    "main_object_differs",
    "dataset_sf",
    "mean_top1",
    "mean_multilabel",
)


def ranked(
    rows: Sequence[ClassRow],
    key: str,
    *,
    descending: bool = True,
    min_images: int = 1,
    limit: int | None = None,
) -> list[ClassRow]:
    """The rows with at least `min_images` images and a value for `key`, ordered by it (ties
    by label), at most `limit` of them: e.g. the classes with most multi-object images."""
    if key not in SORT_KEYS:
        raise ValueError(f"unknown key {key!r}: one of {', '.join(SORT_KEYS)}")
    kept = [r for r in rows if r.images >= min_images and getattr(r, key) is not None]
    sign = -1 if descending else 1
    kept.sort(key=lambda r: (sign * getattr(r, key), r.label))
    return kept if limit is None else kept[:limit]


@dataclass(frozen=True)
class ClassImage:
    """One image of a class on its detail page."""

    image: ImageId
    objects: tuple[int, ...]  # each object's label
    main_label: int
    main_object_differs: bool
    dataset_sf: float | None
    top1: dict[str, int]  # model -> its top-1


def class_images(
    truths: Sequence[ImageTruth],
    label: int,
    dataset_sf: Mapping[ImageId, float | None],
    predictions: Predictions,
) -> list[ClassImage]:
    """The aggregated images whose dataset label is `label`, in the order given."""
    return [
        ClassImage(
            t.image,
            t.object_labels,
            t.main_label,
            t.main_object_differs,
            dataset_sf.get(t.image),
            {m: p[t.image][0] for m, p in predictions.items() if p.get(t.image)},
        )
        for t in truths
        if t.dataset_label == label
    ]
