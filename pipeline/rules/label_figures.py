"""The annotators' side of the paper's analyses (Tsipras et al. 2020): histograms, multi-object
images, labels as often selected as the dataset label (Fig 7a), class pairs validated together
(Figs 7b, 23), frequencies from fewer annotators (Fig 24) and possibly mislabeled images.

Pure: labels are class indices, images any hashable id; plain values in and out. The
dashboard (dashboard.figure_data loads the inputs) and `manage.py paper_tables` (from a JSONL
file) run the same functions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

ImageId = Hashable
Pair = tuple[ImageId, int]  # (image, label)


# --- Final labels ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageTruth:
    """What the campaign found in one image: the dataset label, the main label, each object's
    label (its most selected label) and every label workers gave each object
    (`object_members`, default: the object's label alone). `main_object` and
    `dataset_object` index the objects; left None they are found from the members."""

    image: ImageId
    dataset_label: int
    main_label: int
    object_labels: tuple[int, ...]
    object_members: tuple[frozenset[int], ...] = ()
    main_object: int | None = None
    dataset_object: int | None = None

    def __post_init__(self) -> None:
        if not self.object_members:
            members = tuple(frozenset({label}) for label in self.object_labels)
            object.__setattr__(self, "object_members", members)
        if self.main_object is None:
            object.__setattr__(self, "main_object", self.object_of(self.main_label))
        if self.dataset_object is None:
            object.__setattr__(self, "dataset_object", self.object_of(self.dataset_label))

    def object_of(self, label: int) -> int | None:
        """Index of the object workers gave `label` to, or None."""
        return next((i for i, m in enumerate(self.object_members) if label in m), None)

    @property
    def num_objects(self) -> int:
        return len(self.object_labels)

    @property
    def multi_object(self) -> bool:
        return self.num_objects > 1

    @property
    def correct_labels(self) -> frozenset[int]:
        """Multi-label accuracy's right answers: the label of any object (nothing else)."""
        return frozenset(self.object_labels)

    @property
    def main_object_differs(self) -> bool:
        """The dataset label is in an object, and the main object is another one (Fig 5)."""
        return self.dataset_object is not None and self.main_object != self.dataset_object


@dataclass(frozen=True)
class MultiObjectSummary:
    images: int
    multi_object: int
    main_differs: int  # main *label* is not the dataset label (a synonym counts)
    multi_object_main_differs: int
    main_object_differs: int  # the main object is not the dataset label's object
    dataset_label_in_no_object: int

    @property
    def multi_object_share(self) -> float:
        return self.multi_object / self.images if self.images else float("nan")


def multi_object_summary(truths: Sequence[ImageTruth]) -> MultiObjectSummary:
    """Counts of multi-object images and of the two kinds of main-label disagreement."""
    multi = [t for t in truths if t.multi_object]
    return MultiObjectSummary(
        images=len(truths),
        multi_object=len(multi),
        main_differs=sum(t.main_label != t.dataset_label for t in truths),
        multi_object_main_differs=sum(t.main_label != t.dataset_label for t in multi),
        main_object_differs=sum(t.main_object_differs for t in truths),
        dataset_label_in_no_object=sum(t.dataset_object is None for t in truths),
    )


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


def agreement_by_objects(
    agreement: Mapping[ImageId, float], chosen: Mapping[ImageId, int], bins: int = 10
) -> dict[int, list[int]]:
    """Fig 16 split by number of objects: for each number of objects the aggregation chose,
    the histogram counts (bins of `share_histogram`) of its images' agreement shares."""
    by_k: dict[int, list[float]] = defaultdict(list)
    for image, share in agreement.items():
        by_k[chosen[image]].append(share)
    return {k: share_histogram(by_k[k], bins)[1] for k in sorted(by_k)}


# --- Selection frequencies -----------------------------------------------------------------


def frequencies_by_image(sf: Mapping[Pair, float]) -> dict[ImageId, dict[int, float]]:
    """(image, label) -> frequency regrouped as image -> label -> frequency."""
    out: dict[ImageId, dict[int, float]] = defaultdict(dict)
    for (image, label), freq in sf.items():
        out[image][label] = freq
    return dict(out)


def labels_as_often_as_dataset_label(
    sf: Mapping[Pair, float],
    dataset: Mapping[ImageId, int],
    fractions: Sequence[float] = (0.5, 0.75, 1.0),
) -> dict[float, dict[int, int]]:
    """Fig 7a: for each fraction f, images per number of labels other than the dataset label
    whose selection frequency is at least f times the dataset label's. Images whose dataset
    label has no measured, or a zero, frequency are left out (the ratio means nothing)."""
    out: dict[float, Counter] = {f: Counter() for f in fractions}
    for image, freqs in frequencies_by_image(sf).items():
        own = freqs.get(dataset.get(image, -1))
        if not own:
            continue
        others = [v for label, v in freqs.items() if label != dataset[image]]
        for f in fractions:
            out[f][sum(v >= f * own for v in others)] += 1
    return {f: dict(sorted(c.items())) for f, c in out.items()}


def validated_pairs(
    sf: Mapping[Pair, float], threshold: float = 0.5, min_images: int = 1
) -> list[tuple[int, int, tuple[ImageId, ...]]]:
    """Figs 7b, 23: pairs of classes both validated in CONTAINS (selection frequency at least
    `threshold`) for the same image. Returns (a, b, images) with a < b, most images first,
    then by class indices; images in the order met."""
    images: dict[tuple[int, int], list[ImageId]] = defaultdict(list)
    for image, freqs in frequencies_by_image(sf).items():
        valid = sorted(label for label, v in freqs.items() if v >= threshold)
        for a, b in combinations(valid, 2):
            images[(a, b)].append(image)
    pairs = [(a, b, tuple(i)) for (a, b), i in images.items() if len(i) >= min_images]
    return sorted(pairs, key=lambda p: (-len(p[2]), p[0], p[1]))


# --- Fewer annotators (Fig 24) -------------------------------------------------------------


@dataclass(frozen=True)
class GridVotes:
    """One CONTAINS grid: the (image, label) pairs it tests and, per kept answer, the pairs
    that answer selected (any other pair is ignored)."""

    pairs: tuple[Pair, ...]
    answers: tuple[frozenset, ...]


def subsampled_frequencies(
    grids: Mapping[Hashable, GridVotes], annotators: int | None = 5, seed: int = 0
) -> dict[Pair, float]:
    """Selection frequencies recomputed from `annotators` of each grid's kept answers (None:
    all of them), drawn without replacement (all of them when fewer), grids taken in sorted
    key order from one seeded generator: the same data and seed always give the same
    frequencies. Pairs whose grids kept no answer are left out."""
    if annotators is None:
        annotators = max([1, *(len(g.answers) for g in grids.values())])
    if annotators < 1:
        raise ValueError("annotators must be at least 1")
    rng = np.random.default_rng(seed)
    selected: Counter = Counter()
    answers: Counter = Counter()
    for key in sorted(grids):
        grid = grids[key]
        n = len(grid.answers)
        chosen = range(n) if n <= annotators else rng.choice(n, annotators, replace=False)
        tested = set(grid.pairs)
        for i in chosen:
            selected.update(grid.answers[int(i)] & tested)
        for pair in grid.pairs:
            answers[pair] += min(n, annotators)
    return {pair: selected[pair] / seen for pair, seen in answers.items() if seen}


@dataclass(frozen=True)
class FrequencyComparison:
    """Fig 24: the same pairs' frequencies from all annotators and from a subsample."""

    edges: list[float]
    full_counts: list[int]
    subsample_counts: list[int]
    pairs: int
    mean_abs_difference: float
    crossed: int  # pairs on different sides of the threshold in the two
    threshold: float


def compare_frequencies(
    full: Mapping[Pair, float],
    subsample: Mapping[Pair, float],
    threshold: float = 0.5,
    bins: int = 10,
) -> FrequencyComparison:
    """Histograms of both over the pairs measured in both, their mean absolute difference and
    how many pairs change side of `threshold` (the candidate rule's 0.5)."""
    common = [p for p in full if p in subsample]
    a = np.array([full[p] for p in common], dtype=float)
    b = np.array([subsample[p] for p in common], dtype=float)
    edges, full_counts = share_histogram(a, bins)
    _, sub_counts = share_histogram(b, bins)
    diff = float(np.abs(a - b).mean()) if common else float("nan")
    crossed = int(((a >= threshold) != (b >= threshold)).sum())
    return FrequencyComparison(
        edges, full_counts, sub_counts, len(common), diff, crossed, threshold
    )


# --- Lists a researcher acts on -------------------------------------------------------------


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
