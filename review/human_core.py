"""Human-accuracy mode (Shankar et al. 2020) as pure functions: which images may serve as
examples, a training pick's feedback, and time per image.

- Examples and training images come from a training split and never from the images being
  measured: an image is refused when it is one of them (same id) or has the same bytes (same
  sha256), so a copy imported into both datasets cannot leak the answer.
- A training pick is right iff its label is one of the image's correct labels; the labeller
  sees that and the correct labels at once.
- Time per image: median with the 10th and 90th percentiles (linear interpolation between
  order statistics, numpy's default). A CONTAINS answer covers a whole grid, so its time per
  image is its duration over the grid's images.

No ORM and no I/O here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np


def allowed_examples(
    candidates: Iterable[tuple[int, str]],
    measured_ids: Collection[int],
    measured_hashes: Collection[str],
) -> list[int]:
    """The ids of `candidates` ((id, sha256) pairs) that are neither a measured image nor a
    copy of one, in their order."""
    return [pk for pk, sha in candidates if pk not in measured_ids and sha not in measured_hashes]


@dataclass(frozen=True)
class Feedback:
    right: bool
    picked: str
    correct: tuple[str, ...]  # every correct label's name, the dataset label first

    def as_dict(self) -> dict:
        return {"right": self.right, "picked": self.picked, "correct": list(self.correct)}


def training_feedback(picked: int, correct: Sequence[int], names: dict[int, str]) -> Feedback:
    """Whether the picked label (a class id) is one of `correct`, with the names to show."""
    return Feedback(picked in correct, names[picked], tuple(names[c] for c in correct))


@dataclass(frozen=True)
class TimeSummary:
    """Seconds per image over `n` images; None when there is none."""

    n: int
    median: float | None
    p10: float | None
    p90: float | None

    def as_dict(self) -> dict:
        return {"n": self.n, "median_s": self.median, "p10_s": self.p10, "p90_s": self.p90}

    def text(self) -> str:
        if not self.n:
            return "no timed images"
        return (
            f"median {self.median:.1f} s (p10 {self.p10:.1f} s, p90 {self.p90:.1f} s) "
            f"over {self.n} images"
        )


def time_summary(durations_ms: Iterable[float | None]) -> TimeSummary:
    """Median, p10 and p90 of the known durations (milliseconds in, seconds out)."""
    values = np.array([d for d in durations_ms if d is not None], dtype=float) / 1000
    if not values.size:
        return TimeSummary(0, None, None, None)
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return TimeSummary(int(values.size), float(median), float(p10), float(p90))


def per_image(durations_ms: Iterable[tuple[float | None, int]]) -> list[float]:
    """Each answer's time per image: (duration, images shown) -> duration / images; answers
    without a duration or without images are left out."""
    return [d / n for d, n in durations_ms if d is not None and n > 0]
