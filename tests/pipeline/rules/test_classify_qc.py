"""CLASSIFY quality control: flagged answers and dropped workers, at and around thresholds."""

from __future__ import annotations

from fractions import Fraction
from itertools import count

import pytest

from pipeline.params import PAPER, CampaignParams
from pipeline.params import exact_fraction as share_threshold
from pipeline.rules.classify_qc import (
    ClassifyAnswer,
    FlagReason,
    Outcome,
    flag_reason,
    run_classify_qc,
    worker_is_dropped,
)

_ids = count()


def good(worker: str = "w") -> ClassifyAnswer:
    return ClassifyAnswer(next(_ids), worker, (3, 7), 7)


def no_label(worker: str = "w") -> ClassifyAnswer:
    return ClassifyAnswer(next(_ids), worker, (), None)


def main_elsewhere(worker: str = "w") -> ClassifyAnswer:
    return ClassifyAnswer(next(_ids), worker, (3, 7), 9)


def worker_answers(flagged: int, total: int, worker: str = "w") -> list[ClassifyAnswer]:
    return [main_elsewhere(worker) for _ in range(flagged)] + [
        good(worker) for _ in range(total - flagged)
    ]


# --- rule 1: a single answer ------------------------------------------------------------


def test_valid_answer_is_not_flagged():
    assert flag_reason(good()) is None


def test_answer_without_labels_is_flagged():
    assert flag_reason(no_label()) is FlagReason.NO_LABEL_SELECTED
    # Even with a main label: it cannot be among no labels, but the first reason wins.
    assert flag_reason(ClassifyAnswer(1, "w", (), 4)) is FlagReason.NO_LABEL_SELECTED


def test_main_label_not_among_selected_is_flagged():
    assert flag_reason(main_elsewhere()) is FlagReason.MAIN_NOT_SELECTED


def test_missing_main_label_is_flagged():
    assert flag_reason(ClassifyAnswer(1, "w", (3,), None)) is FlagReason.MAIN_NOT_SELECTED


def test_single_label_answer_with_that_label_as_main_is_valid():
    assert flag_reason(ClassifyAnswer(1, "w", (3,), 3)) is None


# --- rule 2: the worker -----------------------------------------------------------------


def test_paper_threshold_reads_as_exactly_one_third():
    assert share_threshold(PAPER.classify_qc_worker_flagged_share) == Fraction(1, 3)
    assert share_threshold(0.25) == Fraction(1, 4)
    assert share_threshold(0.3333) == Fraction(3333, 10_000)  # as written, not 1/3


@pytest.mark.parametrize(
    ("flagged", "total", "dropped"),
    [
        (0, 3, False),
        (1, 3, False),  # exactly a third keeps
        (2, 6, False),  # exactly a third, where floats could round either way
        (3, 9, False),
        (33, 99, False),
        (2, 5, True),  # just above
        (3, 8, True),
        (34, 100, True),
        (334, 1000, True),
        (333, 1000, False),
        (1, 2, True),
        (1, 1, True),
    ],
)
def test_worker_dropped_strictly_above_a_third(flagged, total, dropped):
    assert worker_is_dropped(flagged, total, Fraction(1, 3)) is dropped
    result = run_classify_qc(worker_answers(flagged, total))
    assert (result.dropped_workers == {"w"}) is dropped


def test_exactly_a_third_keeps_the_good_answers():
    result = run_classify_qc(worker_answers(1, 3))
    assert [o.outcome for o in result.outcomes] == [
        Outcome.FLAGGED_INVALID,
        Outcome.KEPT,
        Outcome.KEPT,
    ]
    assert len(result.kept()) == 2
    assert result.workers["w"].flagged_share == Fraction(1, 3)


def test_above_a_third_drops_every_answer_of_the_worker():
    result = run_classify_qc(worker_answers(2, 5))
    assert result.kept() == []
    assert result.count(Outcome.DROPPED_WORKER) == 3
    assert result.count(Outcome.FLAGGED_INVALID) == 2
    assert all(o.worker_dropped for o in result.outcomes)


def test_flagged_answer_of_dropped_worker_keeps_its_own_reason():
    answers = [no_label(), main_elsewhere(), good()]
    result = run_classify_qc(answers)
    reasons = [(o.outcome, o.reason, o.worker_dropped) for o in result.outcomes]
    assert reasons == [
        (Outcome.FLAGGED_INVALID, FlagReason.NO_LABEL_SELECTED, True),
        (Outcome.FLAGGED_INVALID, FlagReason.MAIN_NOT_SELECTED, True),
        (Outcome.DROPPED_WORKER, None, True),
    ]


def test_threshold_is_a_campaign_parameter():
    answers = worker_answers(1, 4)  # a quarter flagged
    assert run_classify_qc(answers).dropped_workers == frozenset()
    strict = CampaignParams(classify_qc_worker_flagged_share=0.2)
    assert run_classify_qc(answers, strict).dropped_workers == {"w"}
    exact_quarter = CampaignParams(classify_qc_worker_flagged_share=0.25)
    assert run_classify_qc(answers, exact_quarter).dropped_workers == frozenset()


def test_workers_are_judged_separately_and_order_is_kept():
    answers = [good("a"), main_elsewhere("b"), good("a"), good("b"), main_elsewhere("b")]
    result = run_classify_qc(answers)
    assert [o.answer for o in result.outcomes] == answers
    assert result.dropped_workers == {"b"}
    assert result.kept() == [answers[0], answers[2]]
    assert result.workers["a"].answers == 2 and result.workers["a"].flagged == 0
    assert result.workers["b"].answers == 3 and result.workers["b"].flagged == 2


def test_no_answers():
    result = run_classify_qc([])
    assert result.outcomes == () and result.workers == {} and result.kept() == []
