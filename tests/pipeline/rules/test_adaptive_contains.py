"""Adaptive CONTAINS collection: when a grid's answers settle every image's frequency."""

from __future__ import annotations

import pytest

from pipeline.params import PAPER, CampaignParams
from pipeline.rules.adaptive_contains import (
    PairVotes,
    counted_answers,
    counted_pairs,
    decide,
    grid_risk,
    pair_risk,
)
from pipeline.rules.contains_qc import GridAnswer


def votes(sequence: str, dataset_label: bool = False) -> PairVotes:
    """One image's votes from a hand-made answer sequence: 'x' selected, '.' not."""
    return PairVotes(sequence.count("x"), len(sequence), dataset_label)


def test_unanimous_grid_settles_at_the_floor_of_six_answers():
    # 10 images of the query class selected by all 6, 38 others by nobody.
    pairs = [votes("xxxxxx", True)] * 10 + [votes("......")] * 38
    decision = decide(pairs, answers=6, minimum=3, maximum=9)
    assert decision.stop and decision.reason == "settled"
    assert decision.risk == pytest.approx(0.0, abs=1e-9)


def test_no_grid_settles_below_the_answers_stage_4_trusts():
    pairs = [votes("xxx", True)] + [votes("...")] * 47
    decision = decide(pairs, answers=3, minimum=3, maximum=9)
    assert not decision.stop
    assert decision.more == PAPER.easy_min_answers - 3
    # With a campaign that trusts 3 answers the urn weighs it: 47 images at 0 of 3 can each
    # still reach 5 of 9 (1.3%), too likely together; one image alone settles.
    trusting = CampaignParams(easy_min_answers=3)
    weighed = decide(pairs, answers=3, minimum=3, maximum=9, params=trusting)
    assert weighed.reason == "unsettled" and weighed.risk > 0.05
    assert decide(pairs[:2], answers=3, minimum=3, maximum=9, params=trusting).stop


def test_split_votes_around_one_half_ask_for_more():
    pairs = [votes("xxx...", True)] + [votes("......")] * 47
    decision = decide(pairs, answers=6, minimum=3, maximum=9)
    assert not decision.stop and decision.reason == "unsettled"
    assert 1 <= decision.more <= 3
    assert decision.risk > 0.05


def test_minimum_and_maximum():
    assert decide([votes("x")], answers=1, minimum=3, maximum=9).more == 2
    assert decide([votes("xxx...xxx")], answers=9, minimum=3, maximum=9).reason == (
        "maximum reached"
    )
    with pytest.raises(ValueError):
        decide([], answers=0, minimum=5, maximum=3)


def test_a_stray_click_on_another_label_does_not_keep_the_grid_open():
    # The zero/non-zero boundary is only weighed for the dataset label (stage 4's
    # "mislabeled"); one click of six on another label is far from 0.5.
    other = votes("x.....")
    assert pair_risk(other, remaining=3) < 0.01
    # The same votes on the dataset label: never selected vs selected once is weighed.
    nobody = votes("......", dataset_label=True)
    assert pair_risk(nobody, remaining=3) > 0.1


def test_risk_is_exact_beta_binomial_sum_on_a_hand_checked_case():
    # 0 of 3 selected, 6 to go: the pair crosses 0.5 only if at least 5 of 6 select it
    # ((0 + 5) / 9 >= 0.5). Beta-binomial(6, 0.5, 3.5): P(5) + P(6), by hand from the
    # Polya urn: P(x) = C(6, x) * B(x + 0.5, 6 - x + 3.5) / B(0.5, 3.5).
    from math import comb, gamma

    def beta(a, b):
        return gamma(a) * gamma(b) / gamma(a + b)

    expected = sum(comb(6, x) * beta(x + 0.5, 9.5 - x) / beta(0.5, 3.5) for x in (5, 6))
    assert pair_risk(votes("..."), remaining=6) == pytest.approx(expected)


def test_grid_risk_combines_images_as_independent():
    a, b = votes("xxx..."), votes("xx....")
    ra, rb = pair_risk(a, 3), pair_risk(b, 3)
    assert grid_risk([a, b], 3) == pytest.approx(1 - (1 - ra) * (1 - rb))
    assert grid_risk([a, b], 0) == 0.0


def test_dataset_floor_of_one_eighth_is_weighed_for_the_dataset_label():
    # 1 of 7 (0.14) on the dataset label, 2 to go: 1/9 would fall under 1/8 (rule 5 (b)).
    assert pair_risk(votes("x......", dataset_label=True), remaining=2) > 0.5
    assert pair_risk(votes("x......"), remaining=2) == 0.0


def test_more_answers_that_confirm_the_majority_settle_the_grid_they_were_asked_for():
    pairs = [votes("xxxx..", True)] + [votes("......")] * 20
    decision = decide(pairs, answers=6, minimum=3, maximum=9)
    assert not decision.stop
    confirmed = [votes("xxxx.." + "x" * decision.more, True)] + [
        votes("......" + "." * decision.more)
    ] * 20
    assert decide(confirmed, answers=6 + decision.more, minimum=3, maximum=9).stop


# A grid "g" testing two images, "own" (the query is its dataset label) and "other", with 5
# controls; each hand-made answer: (worker, picks on own/other as 'x'/'.', controls found).
TESTED = [("own", True), ("other", False)]


def grid(answers: list[tuple[str, str, int]], grid_id: str = "g") -> tuple[list, dict]:
    """GridAnswers for quality control and answer id -> selected items, ids g0, g1 ..."""
    qc, selections = [], {}
    for i, (worker, picks, found) in enumerate(answers):
        pk = f"{grid_id}{i}"
        qc.append(GridAnswer(pk, worker, grid_id, 5, found))
        selections[pk] = {item for (item, _), c in zip(TESTED, picks, strict=True) if c == "x"}
    return qc, selections


def test_an_answer_dropped_by_the_controls_does_not_count_towards_the_floor():
    # Five careful answers and one that found 1 of 5 controls (under 40%: dropped), all
    # unanimous: 5 answers will survive, under the 6 stage 4 trusts.
    qc, selections = grid([(f"w{i}", "x.", 4) for i in range(5)] + [("w5", "x.", 1)])
    counted = counted_answers(qc)
    assert counted == {"g0", "g1", "g2", "g3", "g4"}
    pairs = counted_pairs(TESTED, selections, counted)
    assert pairs == [PairVotes(5, 5, True), PairVotes(0, 5)]
    decision = decide(pairs, answers=6, minimum=3, maximum=9)
    assert not decision.stop and decision.reason == "fewer answers than stage 4 trusts"
    assert decision.more == 1
    # One more careful answer reaches the floor and settles the grid.
    qc, selections = grid(
        [(f"w{i}", "x.", 4) for i in range(5)] + [("w5", "x.", 1), ("w6", "x.", 5)]
    )
    pairs = counted_pairs(TESTED, selections, counted_answers(qc))
    assert decide(pairs, answers=7, minimum=3, maximum=9).reason == "settled"


def test_a_dropped_worker_counts_neither_for_the_floor_nor_for_the_frequencies():
    # w5 found no control on another grid "h": 1 bad answer of 2 drops the worker, so their
    # answer here, though it found every control, does not count, nor its click on "other".
    others = [(f"v{i}", "..", 5) for i in range(3)] + [("w5", "..", 0)]
    qc_h, _ = grid(others, grid_id="h")
    qc, selections = grid([(f"w{i}", "x.", 4) for i in range(5)] + [("w5", "xx", 5)])
    counted = counted_answers(qc + qc_h)
    assert "g5" not in counted and "h3" not in counted
    pairs = counted_pairs(TESTED, selections, counted)
    assert pairs == [PairVotes(5, 5, True), PairVotes(0, 5)]
    assert decide(pairs, answers=6, minimum=3, maximum=9).more == 1
    # Known to be careful (no bad answer elsewhere), the same answer counts.
    pairs = counted_pairs(TESTED, selections, counted_answers(qc))
    assert pairs == [PairVotes(6, 6, True), PairVotes(1, 6)]
    assert decide(pairs, answers=6, minimum=3, maximum=9).stop


def test_the_floor_is_met_by_answers_that_count_within_the_maximum():
    pairs = [votes("xxx", True), votes("...")]
    # 8 answers in, 3 count: one slot is left, and the request stays within it.
    assert decide(pairs, answers=8, minimum=3, maximum=9).more == 1
    assert decide(pairs, answers=9, minimum=3, maximum=9).reason == "maximum reached"
