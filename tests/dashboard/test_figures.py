"""The paper's analyses on hand-made data with known answers, and the bootstrap's coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard import figures as a
from dashboard.figures import ImageTruth


def test_count_distribution_and_share_histogram():
    assert a.count_distribution([3, 1, 3, 2, 3]) == {1: 1, 2: 1, 3: 3}
    edges, counts = a.share_histogram([0.0, 0.05, 0.5, 1.0, 1.0], bins=4)
    assert edges == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert counts == [2, 0, 1, 2]  # 1.0 falls in the last bin


def test_number_agreement_is_the_share_of_answers_with_the_chosen_count():
    sizes = [(1, 2), (1, 2), (1, 1), (1, 2), (2, 1), (2, 3), (9, 1)]
    assert a.number_agreement(sizes, {1: 2, 2: 1}) == {1: 0.75, 2: 0.5}  # image 9 not aggregated


TRUTHS = [
    ImageTruth("a", 1, 1, (1,)),
    ImageTruth("b", 2, 2, (2,)),
    ImageTruth("c", 3, 4, (3, 4)),  # two objects, main label is the other one
    ImageTruth("d", 5, 5, (5, 6)),
]


def test_multi_object_summary():
    s = a.multi_object_summary(TRUTHS)
    assert (s.images, s.multi_object, s.main_differs, s.multi_object_main_differs) == (4, 2, 1, 1)
    assert s.multi_object_share == 0.5


def test_score_model_on_hand_made_predictions():
    predictions = {
        "a": [1, 7, 8, 9, 10],  # top-1 right
        "b": [7, 2, 8, 9, 10],  # top-5 correction, 7 is not in the image
        "c": [4, 3, 8, 9, 10],  # top-5 correction that is the second object (and the main label)
        "d": [7, 8, 9, 10, 11],  # wrong everywhere
        "zz": [1, 2, 3, 4, 5],  # no final labels: not scored
    }
    sf = {("a", 1): 1.0, ("b", 7): 0.2, ("c", 4): 0.8, ("d", 7): 0.0}
    s = a.score_model("m", TRUTHS, predictions, sf, n_boot=200)
    assert s.images == 4
    assert s.accuracy["all"]["top1"].value == 0.25
    assert s.accuracy["all"]["top5"].value == 0.75
    assert s.accuracy["all"]["multilabel"].value == 0.5
    assert s.accuracy["single"]["top1"].value == 0.5 and s.accuracy["single"]["top1"].n == 2
    assert s.accuracy["multi"]["top1"].value == 0.0
    assert s.accuracy["multi"]["top5"].value == 0.5
    assert s.accuracy["multi"]["multilabel"].value == 0.5
    assert (s.top5_corrections, s.top5_corrections_second_object) == (2, 1)
    assert s.second_object_share == 0.5
    assert s.mean_sf.value == pytest.approx((1.0 + 0.2 + 0.8 + 0.0) / 4)
    assert s.main_label_rate.value == 0.5  # a and c
    assert sorted(s.mistake_sfs) == [0.0, 0.2, 0.8]


def test_score_model_leaves_out_unmeasured_frequencies_and_handles_no_overlap():
    s = a.score_model("m", TRUTHS, {"a": [9, 1, 2, 3, 4]}, {}, n_boot=50)
    assert s.mean_sf.n == 0 and math.isnan(s.mean_sf.value)
    assert s.mistake_sfs == []
    empty = a.score_model("m", TRUTHS, {}, {})
    assert empty.images == 0 and math.isnan(empty.accuracy["all"]["top1"].value)


SUPER = {1: "animal", 2: "animal", 3: "thing", 4: "food", 5: "thing", 6: "food"}
NAMES = ["animal", "thing", "food"]


def test_confusion_matrix_rows_are_truth():
    m = a.confusion_matrix([(1, 2), (1, 3), (3, 3), (4, 1), (99, 1)], SUPER, NAMES)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]  # class 99 has no superclass
    assert a.row_normalise(m).tolist() == [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert a.row_normalise(np.zeros((2, 2), dtype=int)).tolist() == [[0, 0], [0, 0]]


def test_cooccurrence_counts_images_once_per_pair_and_ignores_single_objects():
    m = a.cooccurrence_matrix([(1,), (1, 3), (3, 4, 6), (1, 2)], SUPER, NAMES)
    # (1,3): animal-thing; (3,4,6): thing-food once although two food objects, food-food;
    # (1,2): animal-animal
    assert m.tolist() == [[1, 1, 0], [1, 0, 1], [0, 1, 1]]
    assert (m == m.T).all()


def test_confusing_pairs_counts_images_where_one_object_got_both_labels():
    objects = [
        ("x", [10, 11]),
        ("x", [11, 10]),  # same image, another object: still one image
        ("y", [11, 10, 12]),
        ("z", [12]),
    ]
    assert a.confusing_pairs(objects) == [(10, 11, 2), (10, 12, 1), (11, 12, 1)]
    assert a.confusing_pairs(objects, min_images=2) == [(10, 11, 2)]


def test_possibly_mislabeled():
    listed = a.possibly_mislabeled(
        {"a": 0.0, "b": 0.5, "c": None, "d": 0.0},
        classify_answered=["b", "d", "e"],
        classify_chose_dataset_label=["e"],
    )
    assert [(m.image, m.reason) for m in listed] == [("a", "sf0"), ("d", "sf0"), ("b", "classify")]


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    x = [0, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    first = a.bootstrap_ci(x, seed=7)
    assert first == a.bootstrap_ci(x, seed=7)
    assert first.value == 0.7 and first.low < 0.7 < first.high and first.n == 10
    assert a.bootstrap_ci([0.5] * 5).low == a.bootstrap_ci([0.5] * 5).high == 0.5
    assert a.bootstrap_ci([float("nan"), 1.0]).n == 1
    assert a.bootstrap_ci([]).n == 0
    with pytest.raises(ValueError, match="confidence"):
        a.bootstrap_ci(x, confidence=1.5)


def test_multinomial_and_index_resampling_agree():
    """The two resampling paths draw the same distribution of means."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 9, size=400) / 9  # ninths: the multinomial path
    fast = a.bootstrap_ci(x, n_boot=4000, seed=2)
    jittered = x + rng.normal(0, 1e-9, size=x.size)  # all distinct: the index path
    slow = a.bootstrap_ci(jittered, n_boot=4000, seed=2)
    assert fast.low == pytest.approx(slow.low, abs=0.01)
    assert fast.high == pytest.approx(slow.high, abs=0.01)


@pytest.mark.parametrize(
    ("draw", "truth"),
    [
        (lambda rng: rng.random(200) < 0.3, 0.3),  # a proportion (accuracy)
        (lambda rng: rng.binomial(9, 0.6, size=150) / 9, 0.6),  # selection frequencies
        (lambda rng: rng.normal(2.0, 1.0, size=100), 2.0),  # continuous: the index path
    ],
)
def test_bootstrap_95_percent_interval_covers_the_true_value_about_95_percent(draw, truth):
    rng = np.random.default_rng(12345)
    repeats = 400
    covered = 0
    for k in range(repeats):
        iv = a.bootstrap_ci(draw(rng), n_boot=1000, seed=k)
        covered += iv.low <= truth <= iv.high
    coverage = covered / repeats
    # binomial sd of the coverage over 400 repeats is ~1.1 points; percentile intervals run a
    # little narrow on small samples
    assert 0.91 <= coverage <= 0.98, coverage
