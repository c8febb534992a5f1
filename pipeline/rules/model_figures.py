"""Models scored against the campaign's labels (Tsipras et al. 2020): accuracy on single- and
multi-object images, on images whose main object is not the dataset label's (Fig 5), top-5
corrections (Fig 21), human assessment beside the dataset label's own (Fig 8), the
frequencies of the mistakes (Fig 9) and accuracy on class pairs validated together (Fig 7b).

Pure: predictions are each model's top-k class indices per image."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline.rules.bootstrap import NAN_INTERVAL, Interval, bootstrap_ci
from pipeline.rules.label_figures import ImageTruth

ImageId = Hashable
SUBSETS = ("all", "single", "multi", "main_object_differs")
# top1 / top5: the dataset label is first / among the five; multilabel: the first prediction
# is the label of any object; main: the first prediction is the main label.
ACCURACIES = ("top1", "top5", "multilabel", "main")
COLUMNS = ("top1", "top5", "multilabel", "main", "multi", "main_object_differs", "other_object")


@dataclass
class ModelScores:
    """A model scored against the campaign's labels (see `score_model`)."""

    model: str
    images: int
    accuracy: dict[str, dict[str, Interval]] = field(default_factory=dict)  # subset -> metric
    top5_corrections: int = 0
    top5_corrections_other_object: int = 0
    mean_sf: Interval = NAN_INTERVAL
    main_label_rate: Interval = NAN_INTERVAL
    sf_unmeasured: int = 0  # images whose top-1 has no measured selection frequency
    mistake_sfs: list[float] = field(default_factory=list)

    @property
    def other_object_share(self) -> float:
        if not self.top5_corrections:
            return float("nan")
        return self.top5_corrections_other_object / self.top5_corrections


def score_model(
    model: str,
    truths: Sequence[ImageTruth],
    predictions: Mapping[ImageId, Sequence[int]],
    selection_frequency: Mapping[tuple[ImageId, int], float],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> ModelScores:
    """Score one model's top-5 on the images that have both final labels and a prediction.

    - Accuracies (ACCURACIES) on every subset (SUBSETS), with bootstrap intervals.
    - Top-5 corrections: top-1 is not the dataset label but the top-5 holds it; of those,
      how many have top-1 and the dataset label in *different* objects (a synonym in the
      dataset label's own object does not count).
    - Human assessment: mean selection frequency of the top-1 (images whose top-1 has no
      measured frequency are counted in `sf_unmeasured`, not averaged), how often the top-1
      is the main label, and the frequencies of top-1 mistakes (top-1 not the dataset label)."""
    rows = [(t, predictions[t.image]) for t in truths if t.image in predictions]
    scores = ModelScores(model=model, images=len(rows))
    if not rows:
        scores.accuracy = {s: dict.fromkeys(ACCURACIES, NAN_INTERVAL) for s in SUBSETS}
        return scores
    flags, sf = _score_columns(rows, selection_frequency)
    col = {name: flags[:, i] for i, name in enumerate(COLUMNS)}
    masks = {
        "all": np.ones(len(rows), dtype=bool),
        "single": ~col["multi"],
        "multi": col["multi"],
        "main_object_differs": col["main_object_differs"],
    }
    scores.accuracy = {
        subset: {m: bootstrap_ci(col[m][mask], n_boot=n_boot, seed=seed) for m in ACCURACIES}
        for subset, mask in masks.items()
    }
    corrections = ~col["top1"] & col["top5"]
    scores.top5_corrections = int(corrections.sum())
    scores.top5_corrections_other_object = int((corrections & col["other_object"]).sum())
    scores.mean_sf = bootstrap_ci(sf, n_boot=n_boot, seed=seed)
    scores.sf_unmeasured = int(np.isnan(sf).sum())
    scores.main_label_rate = scores.accuracy["all"]["main"]
    mistakes = sf[~col["top1"]]
    scores.mistake_sfs = [float(v) for v in mistakes[~np.isnan(mistakes)]]
    return scores


def _row(t: ImageTruth, p: Sequence[int]) -> tuple[bool, ...]:
    first = p[0]
    first_object = t.object_of(first)
    return (
        first == t.dataset_label,
        t.dataset_label in p[:5],
        first in t.object_labels,
        first == t.main_label,
        t.multi_object,
        t.main_object_differs,
        first_object is not None
        and t.dataset_object is not None
        and first_object != t.dataset_object,
    )


def _score_columns(
    rows: list[tuple[ImageTruth, Sequence[int]]],
    selection_frequency: Mapping[tuple[ImageId, int], float],
) -> tuple[np.ndarray, np.ndarray]:
    """Per (truth, prediction) row: the COLUMNS flags, and the top-1's selection frequency
    (NaN when unmeasured)."""
    get, nan = selection_frequency.get, float("nan")
    flags = np.array([_row(t, p) for t, p in rows], dtype=bool).reshape(len(rows), len(COLUMNS))
    sf = np.array([get((t.image, p[0]), nan) for t, p in rows], dtype=float)
    return flags, sf


@dataclass(frozen=True)
class LabelAssessment:
    """Fig 8's reference: the dataset label judged like a model's top-1."""

    mean_sf: Interval
    main_label_rate: Interval
    sf_unmeasured: int


def dataset_label_assessment(
    truths: Sequence[ImageTruth],
    selection_frequency: Mapping[tuple[ImageId, int], float],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> LabelAssessment:
    """Mean selection frequency of the dataset label and how often it is the main label, over
    the images with final labels (unmeasured frequencies counted, not averaged)."""
    nan = float("nan")
    sf = np.array([selection_frequency.get((t.image, t.dataset_label), nan) for t in truths])
    main = np.array([t.main_label == t.dataset_label for t in truths], dtype=float)
    return LabelAssessment(
        bootstrap_ci(sf, n_boot=n_boot, seed=seed),
        bootstrap_ci(main, n_boot=n_boot, seed=seed),
        int(np.isnan(sf).sum()),
    )


@dataclass(frozen=True)
class PairAccuracy:
    """Fig 7b: a class pair validated together, on how many images, and each model's top-1
    accuracy (first prediction = dataset label) on those images (NaN: no prediction)."""

    a: int
    b: int
    images: int
    accuracy: dict[str, float]

    @property
    def mean_accuracy(self) -> float:
        values = [v for v in self.accuracy.values() if not np.isnan(v)]
        return float(np.mean(values)) if values else float("nan")


def pair_accuracy(
    pairs: Sequence[tuple[int, int, Sequence[ImageId]]],
    dataset: Mapping[ImageId, int],
    predictions: Mapping[str, Mapping[ImageId, Sequence[int]]],
) -> list[PairAccuracy]:
    """Each model's top-1 accuracy on the images of each pair (`validated_pairs` output)."""
    out = []
    for a, b, images in pairs:
        accuracy = {}
        for model, by_image in predictions.items():
            hits = [by_image[i][0] == dataset.get(i) for i in images if by_image.get(i)]
            accuracy[model] = float(np.mean(hits)) if hits else float("nan")
        out.append(PairAccuracy(a, b, len(images), accuracy))
    return out
