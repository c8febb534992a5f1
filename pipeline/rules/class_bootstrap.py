"""The class bootstrap of Shankar et al. 2020: intervals that resample classes, not images.

Images of one class are not independent draws (the dog classes are the paper's example), so
the interval of an accuracy, or of the difference between two predictors on the same images,
is taken over resamples of the *classes* with replacement: a resample keeps every image of each
drawn class, as many times as the class is drawn. Percentile intervals; the two-sided p-value
of a difference is twice the share of resampled differences on the far side of zero (at most
1). Seeded, so the same data always gives the same interval.

Pure: plain sequences in, dataclasses out."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.rules.bootstrap import Interval


@dataclass(frozen=True)
class Difference:
    """Accuracy of a minus accuracy of b, with its class-bootstrap interval and p-value."""

    value: float
    low: float
    high: float
    pvalue: float
    images: int
    classes: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "difference": self.value,
            "low": self.low,
            "high": self.high,
            "pvalue": self.pvalue,
            "images": self.images,
            "classes": self.classes,
        }


def _per_class(
    classes: Sequence[Hashable], *columns: Sequence[float]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Images per class and each column's sum per class (classes in first-seen order)."""
    if any(len(c) != len(classes) for c in columns):
        raise ValueError("every column needs one value per image")
    index: dict[Hashable, int] = {}
    inverse = np.array([index.setdefault(c, len(index)) for c in classes], dtype=int)
    k = len(index)
    counts = np.bincount(inverse, minlength=k).astype(float)
    sums = [np.bincount(inverse, weights=np.asarray(c, float), minlength=k) for c in columns]
    return counts, sums


def _weights(k: int, n_boot: int, seed: int) -> np.ndarray:
    """How often each class is drawn in each resample: n_boot x k multinomial counts."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(k, np.full(k, 1 / k), size=n_boot).astype(float)


def _check(confidence: float, n_boot: int) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    return (1 - confidence) / 2


def class_bootstrap_accuracy(
    classes: Sequence[Hashable],
    right: Sequence[bool],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Accuracy (share of `right`) over images with their class (`classes[i]` is image i's
    class), with the percentile interval over class resamples; `n` is the number of images."""
    alpha = _check(confidence, n_boot)
    if not len(classes):
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    counts, (hits,) = _per_class(classes, right)
    w = _weights(counts.size, n_boot, seed)
    totals = w @ counts
    accuracies = np.divide(w @ hits, totals, out=np.full(n_boot, np.nan), where=totals > 0)
    low, high = np.nanquantile(accuracies, [alpha, 1 - alpha])
    return Interval(float(hits.sum() / counts.sum()), float(low), float(high), len(classes))


def class_bootstrap_difference(
    classes: Sequence[Hashable],
    right_a: Sequence[bool],
    right_b: Sequence[bool],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Difference:
    """Accuracy of a minus that of b on the same images (paired), with the class-bootstrap
    interval and two-sided p-value of the difference."""
    alpha = _check(confidence, n_boot)
    if not len(classes):
        nan = float("nan")
        return Difference(nan, nan, nan, nan, 0, 0)
    counts, (hits_a, hits_b) = _per_class(classes, right_a, right_b)
    w = _weights(counts.size, n_boot, seed)
    totals = w @ counts
    diffs = np.divide(w @ (hits_a - hits_b), totals, out=np.full(n_boot, np.nan), where=totals > 0)
    low, high = np.nanquantile(diffs, [alpha, 1 - alpha])
    drawn = diffs[~np.isnan(diffs)]
    pvalue = min(1.0, 2 * min(np.mean(drawn <= 0), np.mean(drawn >= 0)))
    value = (hits_a.sum() - hits_b.sum()) / counts.sum()
    return Difference(
        float(value), float(low), float(high), float(pvalue), len(classes), counts.size
    )
