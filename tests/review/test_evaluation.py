"""The pure evaluation core: intervals, scoring with unjudged predictions, McNemar, the
panel and the major-mistakes slice."""

from __future__ import annotations

import math

import pytest

from review import evaluation as ev


def test_clopper_pearson_matches_shankar_table_1():
    # ResNet-50 on Shankar et al.'s 1,000 images: 84.2% [81.8, 86.4].
    low, high = ev.clopper_pearson(842, 1000)
    assert (round(100 * low, 1), round(100 * high, 1)) == (81.8, 86.4)


def test_clopper_pearson_edges():
    assert ev.clopper_pearson(0, 10)[0] == 0.0
    assert ev.clopper_pearson(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in ev.clopper_pearson(0, 0))
    with pytest.raises(ValueError):
        ev.clopper_pearson(11, 10)


def test_class_slices_by_ancestors():
    assert ev.class_slice({"beagle.n.01", "dog.n.01", "organism.n.01"}) == ev.DOGS
    assert ev.class_slice({"tabby.n.01", "cat.n.01", "organism.n.01"}) == ev.ORGANISMS
    assert ev.class_slice({"bagel.n.01", "food.n.01"}) == ev.OBJECTS


def test_scoring_counts_unjudged_predictions_and_unclear_is_not_right():
    truth = {
        1: ev.ImageTruth(correct=frozenset({10, 11}), wrong=frozenset({12})),
        2: ev.ImageTruth(correct=frozenset({20}), unclear=frozenset({21})),
        3: ev.ImageTruth(correct=frozenset({30})),
        4: ev.ImageTruth(correct=frozenset({40}), exhaustive=True),
        5: ev.ImageTruth(correct=frozenset({50})),  # flagged problematic
    }
    slices = {1: ev.DOGS, 2: ev.ORGANISMS, 3: ev.OBJECTS, 4: ev.OBJECTS, 5: ev.DOGS, 6: ev.DOGS}
    # 1: second correct label (right); 2: unclear; 3: never judged; 4: exhaustive -> wrong;
    # 5: problematic and right; 6: no ground truth at all.
    predictions = {1: 11, 2: 21, 3: 99, 4: 41, 5: 50, 6: 60}
    score = ev.score_predictions(predictions, truth, slices, problematic={5})
    everything = score.slices[ev.ALL]
    assert (everything.right, everything.wrong) == (1, 1)
    assert (everything.unclear, everything.unreviewed, everything.no_truth) == (1, 1, 1)
    # Right iff marked correct: the unclear prediction is scored and not right (1 of 3);
    # the variant that accepts unclear labels is reported beside it (2 of 3).
    assert everything.scored == 3
    assert everything.accuracy == pytest.approx(1 / 3)
    assert everything.accuracy_with_unclear == pytest.approx(2 / 3)
    row = everything.as_dict()
    assert (row["ci_low"], row["ci_high"]) == ev.clopper_pearson(1, 3)
    assert (row["ci_low_with_unclear"], row["ci_high_with_unclear"]) == ev.clopper_pearson(2, 3)
    assert row["accuracy_with_unclear"] == pytest.approx(2 / 3)
    assert score.unreviewed == [(3, 99)]
    assert score.slices[ev.DOGS].right == 1 and score.slices[ev.DOGS].no_truth == 1
    assert score.slices[ev.OBJECTS].wrong == 1 and score.slices[ev.OBJECTS].unreviewed == 1
    assert score.slices[ev.PROBLEMATIC].right == 1 and score.slices[ev.PROBLEMATIC].scored == 1
    assert score.outcomes == {
        1: ev.CORRECT,
        2: ev.UNCLEAR,
        3: None,
        4: ev.WRONG,
        5: ev.CORRECT,
        6: None,
    }


def test_merge_truths_later_layers_win_and_exhaustive_spreads():
    real = {1: ev.ImageTruth(correct=frozenset({10}), exhaustive=True)}
    expert = {
        1: ev.ImageTruth(correct=frozenset({11}), wrong=frozenset({10})),
        2: ev.ImageTruth(wrong=frozenset({5})),
    }
    merged = ev.merge_truths([real, expert])
    assert merged[1].judge(10) == ev.WRONG
    assert merged[1].judge(11) == ev.CORRECT
    assert merged[1].judge(12) == ev.WRONG  # ReaL covers it: unlisted is wrong
    assert merged[2].judge(6) is None


def test_mcnemar_on_a_hand_made_table():
    # 100 images: both right 60, only A right 15, only B right 5, both wrong 20.
    paired = ev.mcnemar_test([[60, 15], [5, 20]])
    # Exact test: two-sided binomial on 20 discordant pairs, 5 successes.
    # P = 2 * sum_{k<=5} C(20,k) / 2^20 = 2 * 21700 / 1048576.
    assert paired.pvalue == pytest.approx(2 * 21700 / 2**20)
    assert (paired.only_a, paired.only_b, paired.images) == (15, 5, 100)
    chi2 = ev.mcnemar_test([[60, 15], [5, 20]], exact=False)
    assert chi2.statistic == pytest.approx((abs(15 - 5) - 1) ** 2 / 20)


def test_paired_table_uses_images_both_are_scored_on():
    a = {1: ev.CORRECT, 2: ev.CORRECT, 3: ev.WRONG, 4: None, 5: ev.UNCLEAR}
    b = {1: ev.CORRECT, 2: ev.WRONG, 3: ev.CORRECT, 4: ev.CORRECT, 5: ev.CORRECT}
    # Image 4 is unjudged for a: left out. Image 5: a's unclear label is scored, not right.
    assert ev.paired_table(a, b) == [[1, 1], [2, 0]]


def V(verdict, severity="", category=""):  # noqa: N802
    return ev.Vote(verdict, severity, category)


def test_panel_has_five_reviewers_by_default():
    assert ev.PANEL_SIZE == 5
    assert not ev.panel_result([V("correct")] * 4).decided
    assert ev.panel_result([V("correct")] * 5).decided
    assert not ev.panel_result([V("correct")], panel_size=2).decided


def test_panel_majority_and_agreement():
    agreed = ev.panel_result([V("incorrect", "major", "spurious")] * 5)
    assert (agreed.verdict, agreed.severity, agreed.category) == ("incorrect", "major", "spurious")
    assert not agreed.discussion
    split = ev.panel_result(
        [V("incorrect", "minor", "fine_grained")] * 3 + [V("correct"), V("unclear")]
    )
    assert split.verdict == "incorrect" and split.severity == "minor" and split.discussion


def test_panel_tie_is_unclear_and_goes_to_discussion():
    votes = [V("correct")] * 2 + [V("incorrect", "major", "fine_grained")] * 2 + [V("unclear")]
    tie = ev.panel_result(votes)
    assert tie.verdict == ev.V_UNCLEAR and tie.discussion
    two = ev.panel_result([V("correct"), V("incorrect", "major", "fine_grained")], panel_size=2)
    assert two.verdict == ev.V_UNCLEAR and two.discussion


def test_a_panel_not_unanimous_on_the_category_goes_to_discussion():
    """Every non-unanimous item is discussed: here all five call it a major mistake but one
    reviewer sees another category."""
    votes = [V("incorrect", "major", "fine_grained")] * 4 + [V("incorrect", "major", "spurious")]
    result = ev.panel_result(votes)
    assert (result.verdict, result.severity, result.category) == (
        "incorrect",
        "major",
        "fine_grained",
    )
    assert result.discussion


def test_panel_severity_disagreement_goes_to_discussion():
    result = ev.panel_result(
        [V("incorrect", "major", "fine_grained"), V("incorrect", "minor", "fine_grained")], 2
    )
    assert result.verdict == "incorrect" and result.severity == "" and result.discussion


def test_remaining_mistakes_include_those_already_judged_wrong():
    """Vasudevan's second phase rates every remaining mistake, not only novel predictions."""
    truth = {
        1: ev.ImageTruth(correct=frozenset({10})),
        2: ev.ImageTruth(correct=frozenset({20}), wrong=frozenset({21})),
        3: ev.ImageTruth(correct=frozenset({30}), unclear=frozenset({31})),
        4: ev.ImageTruth(correct=frozenset({40})),
    }
    predictions = {4: 44, 1: 10, 2: 21, 3: 31, 5: 50}  # 5: no ground truth, not evaluated
    assert ev.remaining_mistakes(predictions, truth) == [(2, 21), (3, 31), (4, 44)]


def test_mistake_table_is_table_2():
    rows = [
        ("fine_grained", "major"),
        ("spurious", "minor"),
        ("fine_grained", "minor"),
        ("fine_grained", "major"),
        ("spurious", ""),  # the panel tied on the severity
    ]
    assert ev.mistake_table(rows) == {
        "fine_grained": {"major": 2, "minor": 1, "unrated": 0},
        "spurious": {"major": 0, "minor": 1, "unrated": 1},
    }


def test_major_mistake_images():
    predictions = {
        "a": {1: 10, 2: 20, 3: 30},
        "b": {1: 10, 2: 21, 3: 31},
        "c": {1: 11, 2: 22, 3: 30},
        "d": {1: 12, 2: 20, 3: 32},
    }
    severity = {
        (1, 10): ev.MAJOR,
        (1, 11): ev.MAJOR,
        (1, 12): ev.MINOR,  # 3 major
        (2, 20): ev.MAJOR,
        (2, 21): ev.MINOR,
        (2, 22): ev.MAJOR,  # 20 twice + 22: 3 major
        (3, 30): ev.MAJOR,  # a and c: 2 major
    }
    assert ev.major_mistake_images(predictions, severity, 3) == [1, 2]
    assert ev.major_mistake_images(predictions, severity, 2) == [1, 2, 3]
    assert ev.major_mistake_images(predictions, severity, 4) == []
    assert ev.major_mistake_images(predictions, severity, 3, has_correct_label=[2]) == [2]
    # ImageNet-M starts from the reviewed model's major mistakes: d's are only on image 2.
    pool = ev.major_pool(predictions["d"], severity)
    assert pool == {2}
    assert ev.major_mistake_images(predictions, severity, 2, pool=pool) == [2]
    with pytest.raises(ValueError):
        ev.major_mistake_images(predictions, severity, 5)
