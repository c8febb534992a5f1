"""Dawid-Skene aggregation of crowd votes on yes/no questions ("is this label in the image?").

Model. Each item has a hidden truth t: 1 when the label is in the image, 0 otherwise, with
P(t = 1) = `prior`. Each worker w answers a in 0..K-1, ordered from "no" (0) to "yes" (K-1),
with probability confusion[w, t, a], independently of the other workers given t. CONTAINS
answers have K = 2 (not selected / selected), ReaL-style questions K = 3 (no / maybe / yes).
The probability of an item is the posterior P(t = 1 | its votes); EM alternates it with the
parameters, starting from the mean answer of each item's votes (the majority vote).

Rules, and why:
- Items of known truth (control images, expert answers) are clamped: their probability is the
  known value at every step (a fraction where an expert panel was split).
- `unknown_weight` weighs the other items in the M-step. 1 is classical EM, where every item
  teaches the confusions. 0 learns the confusions and the prior from the clamped items only
  and scores the rest with them; that is how the published ReaL scores were made (raters who
  answered no control share one confusion there, whatever their number of answers).
- Each confusion row is smoothed towards the pooled row of all workers (a Dirichlet prior
  worth `prior_strength` answers): a worker seen a few times gets the crowd's behaviour rather
  than a 0 or 1 rate that one answer would make certain, and a worker with no counted answer
  gets exactly the pooled confusion. The pooled rows themselves get one pseudo-answer per
  value, so that no probability is 0.
- The prior is the weighted mean probability of the counted items.
- An optional extra voter (e.g. the model ensemble, its probability put into bins) answers
  some items; it is a worker like the others except that its answers have their own
  `extra_n_answers` values, its confusion is smoothed towards uniform, and it is reported
  apart (`Fit.extra_confusion`).

Everything is vectorised over the votes (np.bincount); no Python loop runs over votes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

DEFAULT_PRIOR_STRENGTH = 20.0
DEFAULT_MAX_ITERATIONS = 50
DEFAULT_TOLERANCE = 1e-6
_PRIOR_CLIP = 1e-9


@dataclass(frozen=True)
class Fit:
    """The outcome of `fit`. Arrays are read-only.

    probabilities: (n_items,) P(label in the image); clamped items keep their known truth.
    confusion: (n_workers, 2, n_answers) P(answer | truth), truth 0 = absent, 1 = present.
    prior: P(label in the image) before any vote.
    votes_per_worker: (n_workers,) number of votes each worker gave.
    extra_confusion: (2, extra_n_answers) for the extra voter, None without one.
    """

    probabilities: np.ndarray
    confusion: np.ndarray
    prior: float
    iterations: int
    converged: bool
    votes_per_worker: np.ndarray
    extra_confusion: np.ndarray | None = None

    @property
    def sensitivity(self) -> np.ndarray:
        """P(answer "yes", the highest value | label present), per worker."""
        return self.confusion[:, 1, -1]

    @property
    def specificity(self) -> np.ndarray:
        """P(answer "no", value 0 | label absent), per worker."""
        return self.confusion[:, 0, 0]

    @property
    def balanced_accuracy(self) -> np.ndarray:
        """Mean of sensitivity and specificity: 0.5 for a worker who answers at random."""
        return (self.sensitivity + self.specificity) / 2


def _index_array(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-d array of integers")
    return array.astype(np.intp, copy=False)


def _check_range(array: np.ndarray, upper: int, name: str) -> None:
    if array.size and (array.min() < 0 or array.max() >= upper):
        raise ValueError(f"{name} must lie in 0..{upper - 1}")


def _smoothed_rows(counts: np.ndarray, center: np.ndarray, strength: float) -> np.ndarray:
    """Confusion rows (last axis) from counts plus `strength` pseudo-answers spread as
    `center`."""
    smoothed = counts + strength * center
    return smoothed / smoothed.sum(axis=-1, keepdims=True)


def _pooled(counts: np.ndarray) -> np.ndarray:
    """The (2, K) pooled confusion of all workers, one pseudo-answer per value."""
    total = counts.sum(axis=0) + 1.0
    return total / total.sum(axis=-1, keepdims=True)


def fit(
    items: ArrayLike,
    workers: ArrayLike,
    answers: ArrayLike,
    n_answers: int,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    known: ArrayLike | None = None,
    unknown_weight: float = 1.0,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    tolerance: float = DEFAULT_TOLERANCE,
    extra_answers: ArrayLike | None = None,
    extra_n_answers: int = 2,
) -> Fit:
    """Fit the model to votes given as three parallel arrays (one entry per vote).

    known: (n_items,) truth in [0, 1] of control items, NaN for the others.
    extra_answers: (n_items,) the extra voter's answer per item, -1 where it has none.
    Stops when no probability moves by more than `tolerance` in one step, or after
    `max_iterations` steps (`converged` tells which).
    """
    items = _index_array(items, "items")
    workers = _index_array(workers, "workers")
    answers = _index_array(answers, "answers")
    if not len(items) == len(workers) == len(answers):
        raise ValueError("items, workers and answers must have one entry per vote")
    if n_answers < 2 or extra_n_answers < 2:
        raise ValueError("a question needs at least two answer values")
    if prior_strength <= 0 or not 0 <= unknown_weight <= 1 or max_iterations < 1:
        raise ValueError("need prior_strength > 0, 0 <= unknown_weight <= 1, max_iterations >= 1")
    sizes = [items.max() + 1 if items.size else 0, n_items or 0]
    truth = None if known is None else np.asarray(known, dtype=float)
    extra = None if extra_answers is None else _index_array(extra_answers, "extra_answers")
    sizes += [len(a) for a in (truth, extra) if a is not None]
    n_items = int(max(sizes))
    n_workers = int(n_workers or (workers.max() + 1 if workers.size else 0))
    _check_range(items, n_items, "items")
    _check_range(workers, n_workers, "workers")
    _check_range(answers, n_answers, "answers")
    for name, array in (("known", truth), ("extra_answers", extra)):
        if array is not None and len(array) != n_items:
            raise ValueError(f"{name} needs one entry per item ({n_items})")

    clamped = np.zeros(n_items, dtype=bool) if truth is None else ~np.isnan(truth)
    if truth is not None and np.any((truth[clamped] < 0) | (truth[clamped] > 1)):
        raise ValueError("known truths must lie in [0, 1]")
    item_weight = np.where(clamped, 1.0, unknown_weight)
    if unknown_weight == 0 and not clamped.any():
        raise ValueError("unknown_weight=0 needs items of known truth")
    vote_weight = item_weight[items]
    weight_total = item_weight.sum()
    cell = workers * n_answers + answers
    shape = (n_workers, n_answers)
    n_cells = n_workers * n_answers

    if extra is not None:
        _check_range(extra[extra >= 0], extra_n_answers, "extra_answers")
        extra_items = np.flatnonzero(extra >= 0)
        extra_values = extra[extra_items]
        extra_center = np.full(extra_n_answers, 1.0 / extra_n_answers)

    # Start: the mean answer of each item's votes, scaled to [0, 1]; 0.5 without votes.
    votes_per_item = np.bincount(items, minlength=n_items)
    answer_sum = np.bincount(items, weights=answers / (n_answers - 1), minlength=n_items)
    p = np.divide(answer_sum, votes_per_item, out=np.full(n_items, 0.5), where=votes_per_item > 0)
    if truth is not None:
        p[clamped] = truth[clamped]

    extra_confusion = None
    converged, iterations = False, 0
    while not converged and iterations < max_iterations:
        iterations += 1
        # M-step: expected answer counts per (worker, truth, answer), then smoothed rows.
        p_vote = p[items]
        absent = np.bincount(cell, weights=vote_weight * (1 - p_vote), minlength=n_cells)
        present = np.bincount(cell, weights=vote_weight * p_vote, minlength=n_cells)
        counts = np.stack([absent.reshape(shape), present.reshape(shape)], axis=1)
        confusion = _smoothed_rows(counts, _pooled(counts), prior_strength)
        mean = item_weight @ p / weight_total if weight_total else 0.5
        prior = float(np.clip(mean, _PRIOR_CLIP, 1 - _PRIOR_CLIP))

        # E-step: log-odds = prior log-odds + each vote's log likelihood ratio.
        ratio = np.log(confusion[:, 1, :]) - np.log(confusion[:, 0, :])
        log_odds = np.log(prior / (1 - prior)) + np.bincount(
            items, weights=ratio.ravel()[cell], minlength=n_items
        )
        if extra is not None:
            w = item_weight[extra_items]
            pe = p[extra_items]
            extra_counts = np.stack(
                [
                    np.bincount(extra_values, weights=w * (1 - pe), minlength=extra_n_answers),
                    np.bincount(extra_values, weights=w * pe, minlength=extra_n_answers),
                ]
            )
            extra_confusion = _smoothed_rows(extra_counts, extra_center, prior_strength)
            extra_ratio = np.log(extra_confusion[1]) - np.log(extra_confusion[0])
            log_odds[extra_items] += extra_ratio[extra_values]
        new_p = expit(log_odds)
        if truth is not None:
            new_p[clamped] = truth[clamped]
        change = float(np.max(np.abs(new_p - p))) if n_items else 0.0
        p = new_p
        converged = change <= tolerance

    for array in (p, confusion, extra_confusion):
        if array is not None:
            array.flags.writeable = False
    votes_per_worker = np.bincount(workers, minlength=n_workers)
    votes_per_worker.flags.writeable = False
    return Fit(p, confusion, prior, iterations, converged, votes_per_worker, extra_confusion)
