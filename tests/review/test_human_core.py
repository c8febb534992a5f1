"""Human-accuracy mode's pure functions: time per image and a training pick's feedback."""

from __future__ import annotations

import pytest

from review import human_core as core


def test_time_summary_is_median_and_10th_90th_percentiles_in_seconds():
    # Sorted seconds 1, 2, 3, 4, 10: the median is the middle one; p10 lies 0.4 of the way
    # from the 1st to the 2nd (1.4), p90 0.6 of the way from the 4th to the 5th (7.6).
    summary = core.time_summary([4000, None, 1000, 10000, 3000, 2000])
    assert summary.n == 5
    assert summary.median == pytest.approx(3.0)
    assert summary.p10 == pytest.approx(1.4)
    assert summary.p90 == pytest.approx(7.6)
    assert summary.text() == "median 3.0 s (p10 1.4 s, p90 7.6 s) over 5 images"


def test_time_summary_of_an_even_count_averages_the_middle_two():
    assert core.time_summary([1000, 2000, 5000, 9000]).median == pytest.approx(3.5)


def test_time_summary_without_durations_says_so():
    summary = core.time_summary([None, None])
    assert (summary.n, summary.median) == (0, None)
    assert summary.text() == "no timed images"
    assert summary.as_dict() == {"n": 0, "median_s": None, "p10_s": None, "p90_s": None}


def test_a_grid_answer_is_timed_per_image_over_its_grid():
    # 48 s over a grid of 48 images is 1 s an image; answers without a time or images drop.
    assert core.per_image([(48_000, 48), (None, 48), (5_000, 0), (6_000, 4)]) == [1000, 1500]


def test_training_feedback_accepts_any_correct_label():
    names = {1: "goldfish", 2: "tench", 3: "shark"}
    right = core.training_feedback(2, [1, 2], names)
    assert right.right and right.correct == ("goldfish", "tench")
    wrong = core.training_feedback(3, [1, 2], names)
    assert not wrong.right
    assert wrong.as_dict() == {"right": False, "picked": "shark", "correct": ["goldfish", "tench"]}
