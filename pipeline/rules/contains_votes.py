"""Dawid-Skene over CONTAINS answers: every (image, query label) a grid tests is an item, every
answer on the grid one vote per grid item (1: selected, 0: not selected). Plain arrays in, plain
arrays out; the model is pipeline.rules.dawid_skene.

Items, and why:
- A tested pair (a grid item that is no control) is an item of unknown truth. An image is
  tested for a label in one grid, but the rule does not assume it: every grid item of the same
  (image, label) is one item.
- Controls are items of known truth, present: the grid's query is the image's dataset label.
  They are items apart from the pair itself: an image is tested for its dataset label in one
  grid and serves as a control in others, and clamping the tested pair would erase the very
  measurement of the dataset label the method makes (the ReaL reader keeps golden questions
  apart from their questions in the same way). One control item per (image, label).
- Expert truths (the review app's panel) clamp the tested pair itself: the experts judged it.
- The ensemble, optionally, is one more voter on the tested pairs (CROWDLAB-style): its answer
  is the share of the ensemble's models with the label in their top-k, in `MODEL_BINS` bins.
  The crowd-only fit is always made; the one with the ensemble comes beside it.

A worker's accuracy is their balanced accuracy (mean of sensitivity and specificity): 0.5 for
an answer that ignores the image (selecting at random, everything or nothing), near 1 for a
careful worker. Workers are judged on every grid they answered, with or without controls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from pipeline.rules.dawid_skene import DEFAULT_PRIOR_STRENGTH, fit

MODEL_BINS = 4  # none of the models, then thirds of the ensemble


@dataclass(frozen=True)
class GridVotes:
    """A campaign's CONTAINS answers as parallel arrays of ids (one row per grid item, answer
    and selection). Selections of an item outside the answer's grid are ignored."""

    item_ids: ArrayLike
    item_grids: ArrayLike
    item_images: ArrayLike
    item_labels: ArrayLike  # the query label of the item's grid
    item_controls: ArrayLike  # bool
    answer_ids: ArrayLike
    answer_grids: ArrayLike
    answer_workers: ArrayLike
    selection_answers: ArrayLike
    selection_items: ArrayLike


@dataclass(frozen=True)
class PairTruths:
    """Known (image, label) truths in [0, 1], or the ensemble's bins, as parallel arrays."""

    images: ArrayLike
    labels: ArrayLike
    values: ArrayLike


@dataclass(frozen=True)
class Estimate:
    """Per tested pair (image, label): its probability, votes and selections; per worker:
    their confusion summary. `with_model` is None unless the ensemble voted."""

    pair_images: np.ndarray
    pair_labels: np.ndarray
    probabilities: np.ndarray  # crowd only
    with_model: np.ndarray | None  # crowd and ensemble
    votes: np.ndarray
    selected: np.ndarray
    workers: np.ndarray  # worker ids
    sensitivity: np.ndarray
    specificity: np.ndarray
    worker_votes: np.ndarray
    control_votes: np.ndarray
    prior: float
    iterations: int
    converged: bool

    @property
    def accuracy(self) -> np.ndarray:
        return (self.sensitivity + self.specificity) / 2

    def worker_accuracy(self) -> dict[int, float]:
        return {int(w): float(a) for w, a in zip(self.workers, self.accuracy, strict=True)}


def _ints(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of each key in `sorted_keys` (unique, ascending), -1 where absent."""
    if not len(sorted_keys):
        return np.full(len(keys), -1)
    at = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return np.where(sorted_keys[at] == keys, at, -1)


def _pair_codes(images: np.ndarray, labels: np.ndarray, label_ids: np.ndarray) -> np.ndarray:
    """One int64 per (image, label); -1 for a label the campaign does not test."""
    index = _lookup(label_ids, labels)
    return np.where(index >= 0, images * len(label_ids) + index, -1)


def model_bins(model_counts: ArrayLike, n_models: int) -> np.ndarray:
    """The ensemble's answer on a pair: 0 when no model has the label in its top-k, else 1..3
    by the share of the models that have it: up to a third, two thirds, all."""
    counts = _ints(model_counts)
    if n_models < 1:
        return np.zeros(len(counts), dtype=np.int64)
    # ceil(share * 3): (0, 1/3] -> 1, (1/3, 2/3] -> 2, (2/3, 1] -> 3, in integers
    return (counts.clip(0, n_models) * (MODEL_BINS - 1) + n_models - 1) // n_models


def estimate(
    votes: GridVotes,
    *,
    expert: PairTruths | None = None,
    model: PairTruths | None = None,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> Estimate:
    """Fit Dawid-Skene to the answers (module docstring); `model` values are model_bins()."""
    item_ids, item_grids = _ints(votes.item_ids), _ints(votes.item_grids)
    images, labels = _ints(votes.item_images), _ints(votes.item_labels)
    controls = np.asarray(votes.item_controls, dtype=bool).reshape(-1)
    order = np.lexsort((item_ids, item_grids))  # grid items, grid by grid
    item_ids, item_grids = item_ids[order], item_grids[order]
    images, labels, controls = images[order], labels[order], controls[order]
    grids, grid_start, grid_size = np.unique(item_grids, return_index=True, return_counts=True)

    # Votes: every answer on its grid's items, in grid order.
    answer_grids = _lookup(grids, _ints(votes.answer_grids))
    answered = answer_grids >= 0
    answer_ids = _ints(votes.answer_ids)[answered]
    answer_grids = answer_grids[answered]
    worker_ids, answer_workers = np.unique(
        _ints(votes.answer_workers)[answered], return_inverse=True
    )
    sizes = grid_size[answer_grids]
    vote_start = np.cumsum(sizes) - sizes
    vote_answer = np.repeat(np.arange(len(answer_ids)), sizes)
    offset = np.arange(sizes.sum()) - vote_start[vote_answer]
    vote_item = grid_start[answer_grids][vote_answer] + offset
    selected = _selected_votes(votes, item_ids, item_grids, answer_ids, answer_grids, grids)
    answers = np.zeros(len(vote_item), dtype=np.int64)
    answers[vote_start[selected[0]] + selected[1] - grid_start[answer_grids[selected[0]]]] = 1

    # Items: tested pairs first, then one control item per (image, label).
    label_ids = np.unique(labels)
    codes = _pair_codes(images, labels, label_ids)
    pair_codes, item_of = np.unique(codes[~controls], return_inverse=True)
    control_codes, control_of = np.unique(codes[controls], return_inverse=True)
    n_pairs = len(pair_codes)
    fit_item = np.empty(len(codes), dtype=np.int64)
    fit_item[~controls] = item_of
    fit_item[controls] = n_pairs + control_of
    known = np.r_[np.full(n_pairs, np.nan), np.ones(len(control_codes))]
    if expert is not None:
        at, values = _pairs_in(expert, label_ids, pair_codes)
        known[at] = values

    items, workers = fit_item[vote_item], answer_workers[vote_answer]
    n_items, n_workers = len(known), len(worker_ids)
    common = dict(n_items=n_items, n_workers=n_workers, known=known, prior_strength=prior_strength)
    crowd = fit(items, workers, answers, 2, **common)
    with_model = None
    if model is not None:
        extra = np.full(n_items, -1, dtype=np.int64)
        at, values = _pairs_in(model, label_ids, pair_codes)
        extra[at] = values.astype(np.int64)
        both = fit(
            items, workers, answers, 2, extra_answers=extra, extra_n_answers=MODEL_BINS, **common
        )
        with_model = both.probabilities[:n_pairs]

    on_controls = fit_item[vote_item] >= n_pairs
    return Estimate(
        pair_images=pair_codes // len(label_ids) if n_pairs else pair_codes,
        pair_labels=label_ids[pair_codes % len(label_ids)] if n_pairs else pair_codes,
        probabilities=crowd.probabilities[:n_pairs],
        with_model=with_model,
        votes=np.bincount(items, minlength=n_items)[:n_pairs],
        selected=np.bincount(items, weights=answers, minlength=n_items)[:n_pairs].astype(np.int64),
        workers=worker_ids,
        sensitivity=crowd.sensitivity,
        specificity=crowd.specificity,
        worker_votes=crowd.votes_per_worker,
        control_votes=np.bincount(workers[on_controls], minlength=n_workers),
        prior=crowd.prior,
        iterations=crowd.iterations,
        converged=crowd.converged,
    )


def _selected_votes(
    votes: GridVotes,
    item_ids: np.ndarray,
    item_grids: np.ndarray,
    answer_ids: np.ndarray,
    answer_grids: np.ndarray,
    grids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(answer index, sorted item position) of every selection inside its answer's grid."""
    by_id = np.argsort(item_ids)
    item_at = _lookup(item_ids[by_id], _ints(votes.selection_items))
    item_pos = by_id[item_at.clip(min=0)] if len(by_id) else item_at
    by_answer = np.argsort(answer_ids)
    answer_at = _lookup(answer_ids[by_answer], _ints(votes.selection_answers))
    answer = by_answer[answer_at.clip(min=0)] if len(by_answer) else answer_at
    ok = (item_at >= 0) & (answer_at >= 0)
    ok[ok] = item_grids[item_pos[ok]] == grids[answer_grids[answer[ok]]]
    return answer[ok], item_pos[ok]


def _pairs_in(
    truths: PairTruths, label_ids: np.ndarray, pair_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(item index, value) of the given pairs that the campaign tests."""
    codes = _pair_codes(_ints(truths.images), _ints(truths.labels), label_ids)
    at = _lookup(pair_codes, codes)
    found = (codes >= 0) & (at >= 0)
    return at[found], np.asarray(truths.values, dtype=float).reshape(-1)[found]


def low_accuracy_workers(accuracy: dict[int, float], bound: float) -> set[int]:
    """Workers whose estimated accuracy is under `bound`, strictly."""
    return {worker for worker, value in accuracy.items() if value < bound}
