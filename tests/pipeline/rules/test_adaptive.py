"""Adaptive CLASSIFY collection: the stopping rule, its baselines and the replay helpers."""

from __future__ import annotations

import itertools
import random
from itertools import islice

import pytest

from bench.reference_data import classify_dev_path
from pipeline.replay import read_records
from pipeline.rules.adaptive import Completions, Decision, change_risk, decide, outcome
from pipeline.rules.adaptive_replay import (
    ReplayFigures,
    collect,
    identical_start,
    policies,
    replay,
    settled_majority,
)
from pipeline.rules.aggregation import aggregate_answers, object_labels, responses_from

CLASSIFY_DEV = classify_dev_path()
needs_reference = pytest.mark.skipif(
    not CLASSIFY_DEV.is_file(), reason=f"published reference data not found at {CLASSIFY_DEV}"
)

A = ([1], 1)  # one object, label 1
B = ([2], 2)  # one object, label 2
AB = ([1, 2], 1)  # two objects, main 1


def published_sample(every: int = 11) -> list[dict]:
    with CLASSIFY_DEV.open(encoding="utf-8") as lines:
        return list(islice(read_records(lines), 0, None, every))


# --- the outcome ---------------------------------------------------------------------------


def aggregate_outcome(answers):
    aggregate = aggregate_answers(answers, None)
    return (
        aggregate["num_objects"],
        aggregate["main_label"],
        frozenset(object_labels(aggregate["objects"])),
    )


@pytest.mark.parametrize(
    "answers",
    [
        [A],
        [A, B, B],
        [AB, AB, A],
        [([3, 1, 2], 3), ([1, 2], 2), ([2, 3], 2), ([1], 1)],
        [([5, 4], 4), ([4, 5], 5), ([6], 6)],
    ],
)
def test_outcome_is_the_aggregates_number_main_label_and_object_labels(answers):
    assert outcome(responses_from(answers)) == aggregate_outcome(answers)


@needs_reference
def test_outcome_matches_the_aggregation_on_published_prefixes():
    for record in published_sample():
        answers = [(r["selected"], r["main"]) for r in record["responses"]]
        for n in range(1, len(answers) + 1):
            assert outcome(responses_from(answers[:n])) == aggregate_outcome(answers[:n])


@needs_reference
def test_completion_outcomes_match_aggregating_the_completed_answers():
    """The counting shortcut of `Completions.outcome` against the aggregation itself, on
    every completion of published prefixes, in a shuffled order of the added answers."""
    rng = random.Random(5)
    checked = 0
    for record in published_sample(every=23):
        responses = responses_from((r["selected"], r["main"]) for r in record["responses"])
        for n in (3, 5):
            completions = Completions(responses[:n])
            parts = len(completions.types)
            for total in range(1, 4):
                for added in itertools.product(range(total + 1), repeat=parts):
                    if sum(added) != total:
                        continue
                    extra = [
                        t for t, c in zip(completions.types, added, strict=True) for _ in range(c)
                    ]
                    rng.shuffle(extra)
                    assert completions.outcome(added) == outcome(responses[:n] + extra)
                    checked += 1
    assert checked > 1000


# --- the stopping rule on hand-made answers ----------------------------------------------


def test_identical_answers_settle_at_the_minimum():
    decision = decide([A, A, A])
    assert decision == Decision(0, 0.0, "settled")
    assert decision.stop


def test_minimum_not_reached_asks_for_the_rest_of_it():
    assert decide([]) == Decision(3, None, "minimum not reached")
    assert decide([A]).more == 2
    assert decide([A, A], minimum=4, maximum=9).more == 2


def test_maximum_reached_stops_whatever_the_answers():
    split = [A, B] * 4 + [A]
    assert decide(split).stop and decide(split).reason == "maximum reached"
    assert decide([A, B, A], minimum=3, maximum=3).stop


def test_risk_is_the_polya_urn_chance_of_a_completion_that_changes_the_outcome():
    # A, A, B with 2 answers to come: only B, B changes the main label (and object label).
    # Urn weights: A 2 + 0.5, B 1 + 0.5; P(B, B) = 1.5 * 2.5 / (4 * 5).
    responses = responses_from([A, A, B])
    assert change_risk(responses, 2) == pytest.approx(1.5 * 2.5 / (4 * 5))
    # With a prior of 0.3: weights A 2.3, B 1.3; P(B, B) = 1.3 * 2.3 / (3.6 * 4.6).
    assert change_risk(responses, 2, prior=0.3) == pytest.approx(1.3 * 2.3 / (3.6 * 4.6))


def test_must_continue_and_asks_for_the_fewest_answers_that_can_settle():
    decision = decide([A, A, B], maximum=5)
    assert not decision.stop and decision.reason == "unsettled"
    assert decision.risk == pytest.approx(0.1875)
    # One more A leaves A 3, B 1 and one answer to come: nothing can change -> settles.
    assert decision.more == 1
    assert decide([A, A, B, A], maximum=5).stop


def test_a_split_task_goes_on_to_the_maximum():
    answers = [A, B, A, B, A, B, A, B, A]
    n, rounds = collect(answers, policies()["adaptive"], 9)
    assert n == 9 and rounds >= 2


def test_a_tie_is_broken_as_the_aggregation_breaks_it_first_met():
    # A, A, B then one answer to come. B would make a 2-2 tie on the main label.
    # With A met first the tie keeps A: nothing can change, the task is settled.
    assert decide([A, A, B], maximum=4) == Decision(0, 0.0, "settled")
    # With B met first the same tie goes to B: P(B) = 1.5 / 4.
    decision = decide([B, A, A], maximum=4)
    assert not decision.stop
    assert decision.risk == pytest.approx(1.5 / 4)
    assert decision.more == 1


def test_a_second_object_can_be_unsettled_by_the_number_of_objects():
    # Two answers see two objects, one sees one: the number of objects is 2, 1 could win.
    decision = decide([AB, AB, A])
    assert not decision.stop and decision.risk > 0.05


def test_fewer_than_three_answers_never_stop_even_with_a_smaller_minimum():
    decision = decide([A, A], minimum=2)
    assert decision == Decision(1, None, "too few answers to weigh")
    assert decide([A], minimum=1, maximum=2) == Decision(1, None, "too few answers to weigh")
    assert decide([A, A, A], minimum=2).stop


def test_too_many_completions_ask_for_one_more_without_guessing():
    answers = [([label], label) for label in range(12)]
    assert change_risk(responses_from(answers), 40) is None  # far past COMPLETION_BUDGET
    assert decide(answers, maximum=52) == Decision(1, None, "too many completions to weigh")


@pytest.mark.parametrize(
    ("minimum", "maximum", "max_risk", "prior"),
    [(0, 9, 0.05, 0.5), (4, 3, 0.05, 0.5), (3, 9, 1.0, 0.5), (3, 9, 0.05, 0.0)],
)
def test_bad_settings_are_refused(minimum, maximum, max_risk, prior):
    with pytest.raises(ValueError):
        decide([A, A, A], minimum, maximum, max_risk, prior)


def test_a_label_repeated_in_an_answer_counts_once():
    assert decide([([1, 1], 1)] * 3).stop
    assert outcome(responses_from([([1, 1], 1)])) == (1, 1, frozenset({1}))


# --- baselines -----------------------------------------------------------------------------


def test_settled_majority_waits_until_no_value_can_reach_the_leaders():
    # Three identical answers, six to come: another value could still get 6 > 3.
    decision = settled_majority([A, A, A])
    assert not decision.stop
    assert decision.more == 2  # A x5 with 4 to come: 4 < 5
    assert settled_majority([A] * 5).stop


def test_settled_majority_counts_a_tie_as_a_change():
    # A x4 with 4 to come (maximum 8): B x4 would tie; the baseline does not stop.
    assert not settled_majority([A] * 4, maximum=8).stop
    assert settled_majority([A] * 5, maximum=8).stop


def test_identical_start_stops_only_on_identical_first_answers():
    assert identical_start([A, A, A]).stop
    assert identical_start([A, A, B]) == Decision(6, None, "unsettled")
    assert identical_start([A, A], count=2).stop
    assert identical_start([A], count=2).more == 1
    # The same labels in another order are the same answer.
    assert identical_start([([1, 2], 1), ([2, 1], 1)], count=2).stop


# --- replay helpers ------------------------------------------------------------------------


def test_collect_honours_batches_and_the_answers_there_are():
    asked: list[int] = []

    def policy(answers, maximum):
        asked.append(len(answers))
        return Decision(0, None, "") if len(answers) >= 5 else Decision(2, None, "")

    # Consulted when each batch of 2 is in: 0 -> 2 -> 4 -> 6, where it stops.
    assert collect([A] * 9, policy, 9) == (6, 3)
    assert asked == [0, 2, 4, 6]


def test_collect_caps_at_the_image_answers_and_the_maximum():
    always_more = lambda answers, maximum: Decision(4, None, "")  # noqa: E731
    assert collect([A] * 6, always_more, 9) == (6, 2)
    assert collect([A] * 12, always_more, 9) == (9, 3)


def test_replay_compares_collected_answers_with_all_of_them():
    records = [
        {"imagenet_label": 1, "responses": [{"selected": [1], "main": 1}] * 9},
        {
            "imagenet_label": 1,
            "responses": [{"selected": [1], "main": 1}] * 3 + [{"selected": [2], "main": 2}] * 5,
        },
    ]
    figures = replay(records, {"adaptive": policies()["adaptive"]})["adaptive"]
    # Both stop at 3 identical answers; the second image's 5 later answers turn it to 2.
    assert (figures.images, figures.answers, figures.collected) == (2, 17, 6)
    assert (figures.agree, figures.partition_agree) == (1, 1)  # objects {1} against {1, 2}
    assert figures.saved == pytest.approx(11 / 17)


def test_replay_figures_are_shares():
    figures = ReplayFigures()
    figures.add(9, 3, True, False, 1)
    figures.add(8, 8, False, True, 3)
    assert figures.saved == pytest.approx(6 / 17)
    assert figures.agreement == 0.5 and figures.partition_agreement == 0.5
