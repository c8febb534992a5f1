"""The paper's analyses over plain data (Tsipras et al. 2020, "Analyses the researcher needs").

Pure: class labels are class indices (ImageNet's 0-999), images are any hashable id, and every
function takes and returns plain values or numpy arrays. The dashboard's selectors
(dashboard.figure_data) load the inputs; the charts draw the outputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

ImageId = Hashable


# --- Bootstrap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A mean with its bootstrap confidence interval over `n` observations."""

    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


NAN_INTERVAL = Interval(float("nan"), float("nan"), float("nan"), 0)
MULTINOMIAL_MAX_DISTINCT = 64
BOOTSTRAP_CHUNK_CELLS = 2_000_000  # resampled values held at once by the index path


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of the mean of `values` (NaNs left out), seeded so that
    the same data always gives the same interval.

    A resample of n values drawn with replacement holds each distinct value a
    Multinomial(n, its share) number of times, so when the values take few distinct values
    (0/1 hits, selection frequencies in ninths) all resamples are drawn at once as multinomial
    counts: exact, and independent of n. Otherwise resamples are drawn as index matrices, a
    chunk at a time to bound memory."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return NAN_INTERVAL
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    rng = np.random.default_rng(seed)
    distinct, counts = np.unique(x, return_counts=True)
    if distinct.size <= MULTINOMIAL_MAX_DISTINCT:
        means = rng.multinomial(n, counts / n, size=n_boot) @ distinct / n
    else:
        means = np.empty(n_boot)
        chunk = max(1, BOOTSTRAP_CHUNK_CELLS // n)
        for start in range(0, n_boot, chunk):
            stop = min(start + chunk, n_boot)
            means[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(x.mean()), float(low), float(high), int(n))


# --- Histograms ----------------------------------------------------------------------------


def count_distribution(counts: Iterable[int]) -> dict[int, int]:
    """How many items have each count (e.g. images per number of potential labels), sorted."""
    return dict(sorted(Counter(int(c) for c in counts).items()))


def number_agreement(
    answer_sizes: Iterable[tuple[ImageId, int]], chosen: Mapping[ImageId, int]
) -> dict[ImageId, float]:
    """Per image, the share of its answers whose number of selected labels equals the number
    of objects the aggregation chose (workers' agreement on the number of objects)."""
    agree: Counter = Counter()
    total: Counter = Counter()
    for image, size in answer_sizes:
        if image not in chosen:
            continue
        total[image] += 1
        agree[image] += int(size == chosen[image])
    return {image: agree[image] / total[image] for image in total}


def share_histogram(shares: Iterable[float], bins: int = 10) -> tuple[list[float], list[int]]:
    """Counts of shares in [0, 1] over `bins` equal bins (1.0 falls in the last): edges, counts."""
    arr = np.asarray(list(shares), dtype=float)
    counts, edges = np.histogram(arr, bins=bins, range=(0.0, 1.0))
    return [float(e) for e in edges], [int(c) for c in counts]


# --- Final labels ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageTruth:
    """What the campaign found in one image: the dataset label, the main label and one label
    per distinct object."""

    image: ImageId
    dataset_label: int
    main_label: int
    object_labels: tuple[int, ...]

    @property
    def num_objects(self) -> int:
        return len(self.object_labels)

    @property
    def multi_object(self) -> bool:
        return self.num_objects > 1

    @property
    def correct_labels(self) -> frozenset[int]:
        """Labels a prediction may name to be right: any object's label, or the main label."""
        return frozenset(self.object_labels) | {self.main_label}


@dataclass(frozen=True)
class MultiObjectSummary:
    images: int
    multi_object: int
    main_differs: int  # main label is not the dataset label
    multi_object_main_differs: int

    @property
    def multi_object_share(self) -> float:
        return self.multi_object / self.images if self.images else float("nan")


def multi_object_summary(truths: Sequence[ImageTruth]) -> MultiObjectSummary:
    multi = [t for t in truths if t.multi_object]
    return MultiObjectSummary(
        images=len(truths),
        multi_object=len(multi),
        main_differs=sum(t.main_label != t.dataset_label for t in truths),
        multi_object_main_differs=sum(t.main_label != t.dataset_label for t in multi),
    )


# --- Model evaluation -----------------------------------------------------------------------


SUBSETS = ("all", "single", "multi")
ACCURACIES = ("top1", "top5", "multilabel")


@dataclass
class ModelScores:
    """A model scored against the campaign's labels (see `score_model`)."""

    model: str
    images: int
    accuracy: dict[str, dict[str, Interval]] = field(default_factory=dict)  # subset -> metric
    top5_corrections: int = 0
    top5_corrections_second_object: int = 0
    mean_sf: Interval = NAN_INTERVAL
    main_label_rate: Interval = NAN_INTERVAL
    mistake_sfs: list[float] = field(default_factory=list)

    @property
    def second_object_share(self) -> float:
        if not self.top5_corrections:
            return float("nan")
        return self.top5_corrections_second_object / self.top5_corrections


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

    - top-1: the first prediction is the dataset label; top-5: the dataset label is among the
      five; multi-label: the first prediction is the label of any object (or the main label).
      Each on all, single-object and multi-object images, with bootstrap intervals.
    - top-5 corrections: top-1 wrong but top-5 right; of those, how many top-1 predictions are
      in fact another object of the image.
    - Human assessment: mean selection frequency of the top-1 prediction (pairs without a
      measured frequency are left out), how often the top-1 is the main label, and the
      selection frequencies of the top-1 mistakes (top-1 is not the dataset label)."""
    rows = [(t, predictions[t.image]) for t in truths if t.image in predictions]
    scores = ModelScores(model=model, images=len(rows))
    if not rows:
        scores.accuracy = {s: {m: NAN_INTERVAL for m in ACCURACIES} for s in SUBSETS}
        return scores
    top1, top5, multilabel, multi, main, sf = _score_columns(rows, selection_frequency)
    masks = {"all": np.ones_like(multi), "single": ~multi, "multi": multi}
    metrics = {"top1": top1, "top5": top5, "multilabel": multilabel}
    scores.accuracy = {
        subset: {
            name: bootstrap_ci(values[mask], n_boot=n_boot, seed=seed)
            for name, values in metrics.items()
        }
        for subset, mask in masks.items()
    }
    corrections = ~top1 & top5
    scores.top5_corrections = int(corrections.sum())
    scores.top5_corrections_second_object = int((corrections & multilabel).sum())
    scores.mean_sf = bootstrap_ci(sf, n_boot=n_boot, seed=seed)
    scores.main_label_rate = bootstrap_ci(main, n_boot=n_boot, seed=seed)
    mistakes = sf[~top1]
    scores.mistake_sfs = [float(v) for v in mistakes[~np.isnan(mistakes)]]
    return scores


def _score_columns(
    rows: list[tuple[ImageTruth, Sequence[int]]],
    selection_frequency: Mapping[tuple[ImageId, int], float],
) -> tuple[np.ndarray, ...]:
    """Per (truth, prediction) row: top-1 hit, top-5 hit, multi-label hit, multi-object image,
    top-1 is the main label, and the top-1's selection frequency (NaN when unmeasured), read
    in one pass over the rows rather than one pass per column."""
    out = []
    nan = float("nan")
    get = selection_frequency.get
    for t, p in rows:
        first = p[0]
        out.append(
            (
                first == t.dataset_label,
                t.dataset_label in p[:5],
                first == t.main_label or first in t.object_labels,
                len(t.object_labels) > 1,
                first == t.main_label,
                get((t.image, first), nan),
            )
        )
    flags = np.array([row[:5] for row in out], dtype=bool).reshape(len(out), 5)
    sf = np.array([row[5] for row in out], dtype=float)
    return (*flags.T, sf)


# --- Superclasses ---------------------------------------------------------------------------


def confusion_matrix(
    pairs: Iterable[tuple[int, int]], superclass_of: Mapping[int, str], names: Sequence[str]
) -> np.ndarray:
    """Counts of (true superclass, predicted superclass) over (true label, predicted label)
    pairs; rows are the true superclass, in the order of `names`. Labels outside every
    superclass are skipped."""
    index = {name: i for i, name in enumerate(names)}
    row_of = {label: index[name] for label, name in superclass_of.items() if name in index}
    # Counted in a dict, then stored once per cell: numpy's per-item overhead makes an array
    # item assignment per pair far dearer than a dict update.
    counts = Counter((row_of.get(true), row_of.get(pred)) for true, pred in pairs)
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for (a, b), n in counts.items():
        if a is not None and b is not None:
            matrix[a, b] = n
    return matrix


def row_normalise(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows summing to 0 stay 0)."""
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros(matrix.shape, dtype=float), where=sums > 0)


def cooccurrence_matrix(
    label_sets: Iterable[Iterable[int]], superclass_of: Mapping[int, str], names: Sequence[str]
) -> np.ndarray:
    """Symmetric counts of images in which objects of two superclasses appear together; the
    diagonal counts images with two objects of the same superclass. Single-object images add
    nothing."""
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for labels in label_sets:
        supers = [index[s] for lab in labels if (s := superclass_of.get(lab)) in index]
        seen: set[tuple[int, int]] = set()
        for a, b in combinations(supers, 2):
            seen.add((min(a, b), max(a, b)))
        for a, b in seen:
            matrix[a, b] += 1
            if a != b:
                matrix[b, a] += 1
    return matrix


# --- Lists a researcher acts on -------------------------------------------------------------


def confusing_pairs(
    objects: Iterable[tuple[ImageId, Sequence[int]]], min_images: int = 1
) -> list[tuple[int, int, int]]:
    """Pairs of classes workers cannot tell apart: both labels given to the same object of an
    image (workers used them for one thing, not for two). Returns (a, b, images) with a < b,
    most images first, then by class indices."""
    seen: set[tuple[int, int, ImageId]] = set()  # an image counts once per pair
    for image, labels in objects:
        for a, b in combinations(sorted(set(labels)), 2):
            seen.add((a, b, image))
    per_pair = Counter((a, b) for a, b, _ in seen)
    pairs = [(a, b, n) for (a, b), n in per_pair.items() if n >= min_images]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


@dataclass(frozen=True)
class Mislabeled:
    image: ImageId
    reason: str  # "sf0": nobody saw the dataset label in CONTAINS; "classify": nobody chose it


def possibly_mislabeled(
    dataset_label_sf: Mapping[ImageId, float | None],
    classify_answered: Iterable[ImageId],
    classify_chose_dataset_label: Iterable[ImageId],
) -> list[Mislabeled]:
    """Images whose dataset label nobody selected in CONTAINS (selection frequency 0, with
    answers), or nobody chose in CLASSIFY among the images that have kept CLASSIFY answers.
    An image listed for both reasons appears once, as "sf0"."""
    listed = [Mislabeled(i, "sf0") for i, sf in dataset_label_sf.items() if sf == 0]
    seen = {m.image for m in listed}
    chose = set(classify_chose_dataset_label)
    listed += [
        Mislabeled(i, "classify") for i in classify_answered if i not in chose and i not in seen
    ]
    return listed
