"""The class bootstrap (Shankar et al.): resamples of classes, worked out by hand on two
classes, where every resample is AA, BB (a quarter each) or AB (a half)."""

from __future__ import annotations

import pytest

from pipeline.rules.bootstrap import bootstrap_ci
from pipeline.rules.class_bootstrap import class_bootstrap_accuracy, class_bootstrap_difference


def test_accuracy_interval_spans_the_resamples_of_classes_not_images():
    # Class A: 3 images right; class B: 1 image wrong. Accuracy 3/4. Resampled classes give
    # AA -> 1, AB -> 3/4, BB -> 0 with chances 1/4, 1/2, 1/4: the 95% interval is [0, 1].
    classes = ["A", "A", "A", "B"]
    right = [True, True, True, False]
    iv = class_bootstrap_accuracy(classes, right, n_boot=2000)
    assert (iv.value, iv.low, iv.high, iv.n) == (0.75, 0.0, 1.0, 4)
    # Resampling the four images instead never reaches 0 at 95% (all four wrong: 1/256).
    assert bootstrap_ci([1, 1, 1, 0], n_boot=2000).low > 0


def test_same_data_same_interval_and_empty_input():
    classes, right = [1, 1, 2, 3, 3, 3], [1, 0, 1, 1, 0, 0]
    first = class_bootstrap_accuracy(classes, right, seed=4)
    assert class_bootstrap_accuracy(classes, right, seed=4) == first
    assert class_bootstrap_accuracy([], []).n == 0


def test_difference_of_identical_predictors_is_zero_with_p_one():
    classes, right = ["A", "B", "C"], [True, False, True]
    d = class_bootstrap_difference(classes, right, right)
    assert (d.value, d.low, d.high, d.pvalue, d.images, d.classes) == (0, 0, 0, 1, 3, 3)


def test_difference_when_one_predictor_is_always_right():
    d = class_bootstrap_difference(["A", "A", "B"], [1, 1, 1], [0, 0, 0])
    assert (d.value, d.low, d.high, d.pvalue) == (1, 1, 1, 0)


def test_difference_p_value_from_the_class_resamples():
    # A: a right, b wrong (difference 1); B: both right (0). Observed 1/2. AA -> 1, AB -> 1/2,
    # BB -> 0: a difference <= 0 in a quarter of the resamples, so p = 2 * 1/4.
    d = class_bootstrap_difference(["A", "B"], [1, 1], [0, 1], n_boot=8000)
    assert d.value == 0.5
    assert (d.low, d.high) == (0, 1)
    assert d.pvalue == pytest.approx(0.5, abs=0.04)


def test_paired_classes_pulling_opposite_ways():
    # A: a right on both images, b wrong; B: the reverse. AA -> +1, BB -> -1, AB -> 0.
    d = class_bootstrap_difference(["A", "A", "B", "B"], [1, 1, 0, 0], [0, 0, 1, 1], n_boot=2000)
    assert (d.value, d.low, d.high, d.pvalue) == (0, -1, 1, 1)


def test_columns_must_match_the_images():
    with pytest.raises(ValueError, match="one value per image"):
        class_bootstrap_accuracy(["A", "B"], [True])
