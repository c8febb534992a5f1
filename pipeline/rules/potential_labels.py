"""Potential labels of an image: the union of the ensemble's top-k plus the dataset label.

Stage 2 shows every potential label of an image in some CONTAINS grid, so this set decides
which labels crowd workers can ever validate. The dataset label is always in it, even when
no model predicts it: whether the dataset label is right is one of the things the campaign
measures. Plain Python, no torch, so the pipeline can import it cheaply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def potential_labels(
    top_indices_per_model: Iterable[Sequence[int]], dataset_label: int
) -> list[int]:
    """Sorted union of every model's top-k indices and ``dataset_label``."""
    labels = {int(dataset_label)}
    for indices in top_indices_per_model:
        labels.update(int(i) for i in indices)
    return sorted(labels)


def model_counts(top_indices_per_model: Iterable[Sequence[int]]) -> dict[int, int]:
    """For each predicted label, how many models have it in their top-k."""
    counts: Counter[int] = Counter()
    for indices in top_indices_per_model:
        counts.update({int(i) for i in indices})
    return dict(counts)


def potential_labels_with_counts(
    top_indices_per_model: Iterable[Sequence[int]], dataset_label: int
) -> list[tuple[int, int]]:
    """(label, model count) for every potential label, sorted by label.

    The dataset label appears with count 0 when no model predicts it.
    """
    counts = model_counts(top_indices_per_model)
    labels = potential_labels([list(counts)], dataset_label)
    return [(label, counts.get(label, 0)) for label in labels]


def mean_potential_count(label_sets: Iterable[Sequence[int]]) -> float:
    """Average number of potential labels per image (the paper reports about 14)."""
    sizes = [len(labels) for labels in label_sets]
    return sum(sizes) / len(sizes) if sizes else 0.0
