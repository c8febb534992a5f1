"""Dawid-Skene on CONTAINS answers: hand-made grids whose truth is known, with careful workers,
a spammer, controls, expert truths and the ensemble as one more voter."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.rules.contains_votes import (
    GridVotes,
    PairTruths,
    estimate,
    low_accuracy_workers,
    model_bins,
)


class Campaign:
    """Grids of `tested` items (images 1000 + n) under query labels 0..3, some with `controls`
    control items; workers answer grids by their own rule; arrays as the shell loads them."""

    def __init__(self, n_grids=40, tested=10, controls=2, seed=0, without_controls=()):
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.items = []  # (item id, grid, image, label, control)
        self.truth = {}  # (image, label) -> 0/1
        for grid in range(n_grids):
            label = grid % 4
            for k in range(tested):
                image = 1000 + grid * tested + k
                self.truth[(image, label)] = int(rng.random() < 0.3)
                self.items.append((len(self.items) + 1, grid, image, label, False))
            if grid not in without_controls:
                for k in range(controls):  # images whose dataset label is `label`
                    self.items.append((len(self.items) + 1, grid, 10 * label + k, label, True))
        self.answers = []  # (answer id, grid, worker)
        self.selections = []  # (answer id, item id)

    def answer(self, worker, grids, rule):
        """rule(truth of the item, is control) -> selected?"""
        for grid in grids:
            answer_id = len(self.answers) + 1
            self.answers.append((answer_id, grid, worker))
            for item_id, g, image, label, control in self.items:
                if g == grid and rule(1 if control else self.truth[(image, label)], control):
                    self.selections.append((answer_id, item_id))

    def careful(self, sensitivity=0.9, specificity=0.95):
        return lambda truth, _: self.rng.random() < (sensitivity if truth else 1 - specificity)

    def truth_of(self, est) -> np.ndarray:
        pairs = zip(est.pair_images.tolist(), est.pair_labels.tolist(), strict=True)
        return np.array([self.truth[pair] for pair in pairs])

    def votes(self) -> GridVotes:
        items, answers, selections = (
            np.array(rows).T for rows in (self.items, self.answers, self.selections)
        )
        return GridVotes(*items, *answers, *selections)


def test_careful_workers_recover_the_truth_and_a_spammer_is_judged_without_controls():
    without = tuple(range(20, 40))  # half the grids have no control
    c = Campaign(without_controls=without)
    for worker in range(1, 7):
        c.answer(worker, range(40), c.careful())
    c.answer(99, without, lambda *_: c.rng.random() < 0.5)  # only where no control can judge
    est = estimate(c.votes())

    truth = c.truth_of(est)
    assert len(truth) == 400 and est.converged
    assert np.mean((est.probabilities > 0.5) == truth) > 0.97
    accuracy = est.worker_accuracy()
    assert all(accuracy[w] > 0.85 for w in range(1, 7))
    assert accuracy[99] < 0.65
    assert low_accuracy_workers(accuracy, 0.7) == {99}
    assert est.control_votes.tolist() == [40] * 6 + [0]  # 20 grids x 2 controls, spammer none
    assert est.worker_votes.tolist() == [20 * 12 + 20 * 10] * 6 + [200]
    # The pair counts: votes and selections of the tested items only.
    assert set(est.votes) == {7, 6}
    assert est.selected.max() <= 7


def test_a_dataset_label_tested_in_one_grid_is_not_clamped_by_its_controls():
    c = Campaign(n_grids=8, tested=4)
    # Image 10 (a control of label 1 in grids 1 and 5) is also tested for label 1 in grid 1.
    c.items.append((len(c.items) + 1, 1, 10, 1, False))
    c.truth[(10, 1)] = 0
    for worker in range(1, 6):
        c.answer(worker, range(8), c.careful(0.95, 0.98))
    est = estimate(c.votes())
    at = np.flatnonzero((est.pair_images == 10) & (est.pair_labels == 1))
    assert len(at) == 1
    assert est.votes[at[0]] == 5  # the tested item's votes only, not the controls'
    assert est.probabilities[at[0]] < 0.2


def test_experts_clamp_their_pairs_and_move_the_workers_who_disagree():
    c = Campaign(n_grids=12, tested=8)
    for worker in (1, 2, 3):
        c.answer(worker, range(12), c.careful())
    pairs = list(c.truth)[:5]
    expert = PairTruths(
        [p[0] for p in pairs] + [5555], [p[1] for p in pairs] + [2], [1.0] * 5 + [0.0]
    )
    est = estimate(c.votes(), expert=expert)
    pairs_of = zip(est.pair_images.tolist(), est.pair_labels.tolist(), strict=True)
    index = {pair: n for n, pair in enumerate(pairs_of)}
    assert [est.probabilities[index[p]] for p in pairs] == [1.0] * 5
    assert (5555, 2) not in index  # a pair no grid tests is ignored


def test_the_ensemble_votes_apart_and_leaves_the_crowd_only_figure_unchanged():
    c = Campaign(n_grids=32, tested=8)
    for worker in (1, 2, 3):  # noisy workers: the crowd alone gets many pairs wrong
        c.answer(worker, range(32), c.careful(0.7, 0.7))
    pairs = list(c.truth)
    model = PairTruths(
        [p[0] for p in pairs], [p[1] for p in pairs], [3 if c.truth[p] else 0 for p in pairs]
    )
    crowd = estimate(c.votes())
    both = estimate(c.votes(), model=model)

    np.testing.assert_array_equal(both.probabilities, crowd.probabilities)
    np.testing.assert_array_equal(both.sensitivity, crowd.sensitivity)
    assert crowd.with_model is None
    truth = c.truth_of(both)
    assert np.mean((both.with_model > 0.5) == truth) > np.mean((crowd.probabilities > 0.5) == truth)
    assert np.mean((both.with_model > 0.5) == truth) > 0.95


def test_selections_outside_the_answers_grid_or_unknown_are_ignored():
    c = Campaign(n_grids=4, tested=3, controls=1)
    c.answer(1, range(4), lambda truth, _: truth)
    base = estimate(c.votes())
    # Answer 1 (grid 0) "selects" an item of grid 3, an unknown item and an unknown answer.
    c.selections += [(1, c.items[-1][0]), (1, 9999), (777, 1)]
    again = estimate(c.votes())
    np.testing.assert_array_equal(again.probabilities, base.probabilities)
    np.testing.assert_array_equal(again.selected, base.selected)


def test_an_answer_on_a_grid_without_items_is_no_vote():
    c = Campaign(n_grids=2, tested=2, controls=1)
    c.answer(1, range(2), lambda truth, _: truth)
    c.answers.append((50, 123, 2))  # grid 123 has no item
    est = estimate(c.votes())
    assert est.workers.tolist() == [1]


@pytest.mark.parametrize(
    "counts, n_models, expected",
    [
        ([0, 1, 3, 4, 6, 7, 8, 10], 10, [0, 1, 1, 2, 2, 3, 3, 3]),
        ([0, 1, 2, 3], 3, [0, 1, 2, 3]),
        ([0, 1], 1, [0, 3]),
        ([2], 0, [0]),
    ],
)
def test_the_ensemble_answer_is_the_share_of_models_in_thirds(counts, n_models, expected):
    assert model_bins(counts, n_models).tolist() == expected
