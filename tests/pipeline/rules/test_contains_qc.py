"""CONTAINS quality control: each rule at and around its threshold, on hand-made answers."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pipeline.params import CampaignParams
from pipeline.params import exact_fraction as exact
from pipeline.rules.contains_qc import (
    DROPPED_GRID,
    DROPPED_WORKER,
    KEPT,
    GridAnswer,
    Status,
    control_quality,
)
from pipeline.rules.contains_votes import estimate
from tests.pipeline.rules.test_contains_votes import Campaign


def answers_of(worker: str, found: list[int], controls: int = 5, start: int = 0):
    return [
        GridAnswer(f"{worker}-{start + i}", worker, 100 + start + i, controls, n)
        for i, n in enumerate(found)
    ]


def statuses(report) -> dict:
    return {o.answer_id: o.status for o in report.outcomes}


def test_thresholds_are_read_as_exact_fractions():
    assert exact(0.2) == Fraction(1, 5)
    assert exact(0.4) == Fraction(2, 5)
    assert exact(0.5) == Fraction(1, 2)
    assert exact(1 / 3) == Fraction(1, 3)


def test_a_worker_with_half_their_grids_bad_is_dropped_entirely():
    # 0 of 5 controls is bad (< 20%); 1 bad of 2 is "half or more": every answer goes,
    # the perfect one included.
    report = control_quality(answers_of("A", [0, 5]))
    assert [o.status for o in report.outcomes] == [Status.DROPPED_WORKER] * 2
    assert report.dropped_workers == ["A"]
    assert report.outcomes[1].worker_bad_share == 0.5
    assert report.outcomes[1].control_rate == 1.0


def test_just_under_half_bad_keeps_the_worker():
    # 3 bad of 7 (0.43): the worker stays; the bad answers then fall to the grid rule.
    report = control_quality(answers_of("E", [0, 0, 0, 5, 5, 4, 2]))
    assert report.dropped_workers == []
    assert [o.status for o in report.outcomes] == [Status.DROPPED_GRID] * 3 + [Status.KEPT] * 4
    assert report.outcomes[0].worker_bad_share == pytest.approx(3 / 7)


def test_exactly_twenty_percent_is_not_a_bad_grid():
    # 1 of 5 is exactly 20%: not "fewer than", so the worker is not dropped by rule 1 even with
    # every grid at 20%; rule 2 then drops each answer (20% < 40%).
    report = control_quality(answers_of("B", [1, 1, 1]))
    assert report.dropped_workers == []
    assert all(o.status is Status.DROPPED_GRID for o in report.outcomes)
    assert all(o.control_rate == 0.2 and o.worker_bad_share == 0.0 for o in report.outcomes)
    # 1 of 10 is 10%: bad; two such answers of two drop the worker.
    report = control_quality(answers_of("B10", [1, 1], controls=10))
    assert report.dropped_workers == ["B10"]
    report = control_quality(answers_of("B10", [2, 1], controls=10))  # 20% and 10%: 1 of 2 bad
    assert report.dropped_workers == ["B10"]
    report = control_quality(answers_of("B10", [2, 2], controls=10))  # 20%, 20%: none bad
    assert report.dropped_workers == []


def test_one_bad_grid_of_three_keeps_the_worker():
    report = control_quality(answers_of("C", [0, 3, 4]))
    assert report.dropped_workers == []
    assert statuses(report) == {
        "C-0": Status.DROPPED_GRID,
        "C-1": Status.KEPT,
        "C-2": Status.KEPT,
    }


def test_two_bad_of_four_is_half_and_drops_the_worker():
    report = control_quality(answers_of("D", [0, 0, 5, 5]))
    assert report.dropped_workers == ["D"]
    report = control_quality(answers_of("D", [0, 1, 5, 5]))  # only one is bad now
    assert report.dropped_workers == []


def test_grid_rule_boundary_at_forty_percent():
    report = control_quality(answers_of("G", [2, 1, 5, 5, 5]))  # 40% kept, 20% dropped
    assert [o.status for o in report.outcomes[:2]] == [Status.KEPT, Status.DROPPED_GRID]
    report = control_quality(answers_of("G", [4, 3], controls=10))  # 40% kept, 30% dropped
    assert [o.status for o in report.outcomes] == [Status.KEPT, Status.DROPPED_GRID]
    assert report.outcomes[1].control_rate == pytest.approx(0.3)


def test_boundaries_with_fifteen_controls():
    # 3 of 15 is exactly 20% (not bad) and 6 of 15 exactly 40% (kept).
    report = control_quality(answers_of("F", [3, 6], controls=15))
    assert report.dropped_workers == []
    assert [o.status for o in report.outcomes] == [Status.DROPPED_GRID, Status.KEPT]
    report = control_quality(answers_of("F", [2, 2], controls=15))
    assert report.dropped_workers == ["F"]


def test_a_threshold_computed_in_floating_point_keeps_its_meaning():
    # 0.1 + 0.2 is 0.30000000000000004: read as 3/10, so 3 of 10 controls is not "fewer than
    # 30%" (a plain float comparison, 0.3 < 0.30000000000000004, would drop it).
    params = CampaignParams(qc_grid_control_rate=0.1 + 0.2, qc_worker_control_rate=0.1 + 0.2)
    report = control_quality(answers_of("S", [3, 3, 2], controls=10), params)
    assert report.dropped_workers == []  # only the 20% answer is bad: 1 of 3
    assert report.outcomes[0].worker_bad_share == pytest.approx(1 / 3)
    assert [o.status for o in report.outcomes] == [Status.KEPT, Status.KEPT, Status.DROPPED_GRID]


def test_worker_rule_comes_first_and_grid_rule_does_not_feed_it():
    # Worker H: 2 bad of 4 -> dropped; all four answers say dropped_worker, including the
    # one the grid rule would also drop. Worker K: answers at 20% and 20%: not bad, so K
    # stays, and both answers fall to the grid rule.
    answers = answers_of("H", [0, 0, 1, 5]) + answers_of("K", [1, 1], start=10)
    report = control_quality(answers)
    assert report.dropped_workers == ["H"]
    assert statuses(report) == {
        "H-0": Status.DROPPED_WORKER,
        "H-1": Status.DROPPED_WORKER,
        "H-2": Status.DROPPED_WORKER,
        "H-3": Status.DROPPED_WORKER,
        "K-10": Status.DROPPED_GRID,
        "K-11": Status.DROPPED_GRID,
    }
    assert report.counts == {KEPT: 0, DROPPED_WORKER: 4, DROPPED_GRID: 2, "unchecked": 0}


def test_grids_without_controls_are_kept_unchecked_and_do_not_count_for_the_worker():
    # L: one judged answer, bad, plus three on grids with no control: share 1/1 -> dropped,
    # the unchecked answers with them. M: only unchecked answers: kept.
    answers = answers_of("L", [0]) + answers_of("L", [0, 0, 0], controls=0, start=1)
    answers += answers_of("M", [0, 0], controls=0, start=10)
    report = control_quality(answers)
    assert report.dropped_workers == ["L"]
    by_id = {o.answer_id: o for o in report.outcomes}
    assert all(by_id[f"L-{i}"].status is Status.DROPPED_WORKER for i in range(4))
    assert by_id["L-1"].control_rate is None and by_id["L-1"].worker_bad_share == 1.0
    assert by_id["M-10"].status is Status.KEPT
    assert by_id["M-10"].control_rate is None and by_id["M-10"].worker_bad_share is None
    assert report.counts == {KEPT: 2, DROPPED_WORKER: 4, DROPPED_GRID: 0, "unchecked": 2}
    # Unchecked answers do not dilute a worker's share either: 1 bad of 2 judged -> dropped.
    answers = answers_of("N", [0, 5]) + answers_of("N", [0] * 6, controls=0, start=2)
    assert control_quality(answers).dropped_workers == ["N"]


def test_outcomes_follow_input_order_and_kept_ids():
    answers = answers_of("P", [5, 1]) + answers_of("Q", [0, 0], start=5)
    report = control_quality(answers)
    assert [o.answer_id for o in report.outcomes] == ["P-0", "P-1", "Q-5", "Q-6"]
    assert report.kept_answer_ids() == {"P-0"}
    assert report.outcomes[0].kept and not report.outcomes[1].kept


def test_parameters_are_respected():
    params = CampaignParams(
        qc_worker_control_rate=0.5, qc_worker_bad_grid_share=0.75, qc_grid_control_rate=0.8
    )
    # 2 of 5 (40%) is bad under 50%; 2 bad of 3 is 0.67 < 0.75: kept by rule 1.
    report = control_quality(answers_of("R", [2, 2, 4]), params)
    assert report.dropped_workers == []
    assert [o.status for o in report.outcomes] == [
        Status.DROPPED_GRID,
        Status.DROPPED_GRID,
        Status.KEPT,
    ]
    report = control_quality(answers_of("R", [2, 2, 2, 4]), params)  # 3 of 4 = 0.75
    assert report.dropped_workers == ["R"]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="appears twice"):
        control_quality([GridAnswer(1, "w", 1, 5, 1), GridAnswer(1, "w", 2, 5, 1)])
    with pytest.raises(ValueError, match="6 controls selected of 5"):
        control_quality([GridAnswer(1, "w", 1, 5, 6)])
    with pytest.raises(ValueError):
        control_quality([GridAnswer(1, "w", 1, 5, -1)])


def test_empty_input():
    report = control_quality([])
    assert report.outcomes == [] and report.dropped_workers == []
    assert report.counts == {KEPT: 0, DROPPED_WORKER: 0, DROPPED_GRID: 0, "unchecked": 0}


# --- Rule 3: estimated accuracy (Dawid-Skene), off by default ------------------------------


def test_a_spammer_on_grids_without_controls_is_caught_by_the_estimated_accuracy_only():
    # Hand-made grids: 20 with controls, 20 without; six careful workers answer all of them and
    # a spammer selects at random on the 20 without controls, where no control can judge them.
    without = tuple(range(20, 40))
    grids = Campaign(without_controls=without, seed=3)
    for worker in range(1, 7):
        grids.answer(worker, range(40), grids.careful())
    grids.answer(99, without, lambda *_: grids.rng.random() < 0.5)
    accuracy = estimate(grids.votes()).worker_accuracy()
    answers = [
        GridAnswer(
            answer_id,
            worker,
            grid,
            sum(1 for item in grids.items if item[1] == grid and item[4]),
            sum(1 for a, i in grids.selections if a == answer_id and grids.items[i - 1][4]),
        )
        for answer_id, grid, worker in grids.answers
    ]

    paper = control_quality(answers, CampaignParams(), accuracy)  # rule 3 off by default
    assert paper.dropped_workers == []
    assert paper.counts["unchecked"] == 20 * 7
    with_bound = control_quality(answers, CampaignParams(qc_min_worker_accuracy=0.7), accuracy)
    assert with_bound.dropped_workers == [99]
    spam = [o for o in with_bound.outcomes if o.worker_id == 99]
    assert {(o.status, o.dropped_by) for o in spam} == {(Status.DROPPED_WORKER, "accuracy")}
    assert spam[0].worker_accuracy < 0.7 < min(accuracy[w] for w in range(1, 7))
    others = [o for o in with_bound.outcomes if o.worker_id != 99]
    assert [o.status for o in others] == [o.status for o in paper.outcomes if o.worker_id != 99]


def test_a_worker_under_both_rules_is_dropped_by_the_control_rule():
    answers = answers_of("S", [0, 0]) + answers_of("T", [5, 5], start=2)
    params = CampaignParams(qc_min_worker_accuracy=0.6)
    report = control_quality(answers, params, {"S": 0.5, "T": 0.59999})
    assert report.dropped_workers == ["S", "T"]
    assert [o.dropped_by for o in report.outcomes] == ["controls"] * 2 + ["accuracy"] * 2
    # Exactly at the bound is not under it; a worker without an estimate is not judged.
    report = control_quality(answers, params, {"T": 0.6})
    assert report.dropped_workers == ["S"]
    assert report.outcomes[0].worker_accuracy is None
