"""Percentile bootstrap intervals of a mean, seeded (the analyses' 95% intervals).

Pure: plain numbers in, an Interval out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MULTINOMIAL_MAX_DISTINCT = 64
BOOTSTRAP_CHUNK_CELLS = 2_000_000  # resampled values held at once by the index path


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
        means = _index_means(x, n_boot, rng)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Interval(float(x.mean()), float(low), float(high), int(n))


def _index_means(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n = x.size
    means = np.empty(n_boot)
    chunk = max(1, BOOTSTRAP_CHUNK_CELLS // n)
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        means[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    return means
