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


def test_multi_object_summary_tells_main_label_from_main_object():
    synonym = ImageTruth("s", 3, 4, (4,), (frozenset({3, 4}),))  # one object, named 4
    lost = ImageTruth("l", 9, 5, (5, 6))  # the dataset label is in no object
    s = a.multi_object_summary([*TRUTHS, synonym, lost])
    assert (s.images, s.multi_object, s.main_differs, s.multi_object_main_differs) == (6, 3, 3, 2)
    # "c": the main object (4) is not the dataset label's (3); "s": a synonym, same object.
    assert (s.main_object_differs, s.dataset_label_in_no_object) == (1, 1)
    assert [t.main_object_differs for t in TRUTHS] == [False, False, True, False]
    assert synonym.dataset_object == synonym.main_object == 0


def test_stored_objects_win_over_the_members():
    t = ImageTruth("x", 3, 4, (3, 4), main_object=0, dataset_object=0)
    assert not t.main_object_differs  # the aggregation's vote said object 0


def test_score_model_on_hand_made_predictions():
    predictions = {
        "a": [1, 7, 8, 9, 10],  # top-1 right
        "b": [7, 2, 8, 9, 10],  # top-5 correction, 7 is not in the image
        "c": [4, 3, 8, 9, 10],  # top-5 correction that is the other object (and the main label)
        "d": [7, 8, 9, 10, 11],  # wrong everywhere
        "zz": [1, 2, 3, 4, 5],  # no final labels: not scored
    }
    sf = {("a", 1): 1.0, ("b", 7): 0.2, ("c", 4): 0.8}  # ("d", 7) never measured
    s = a.score_model("m", TRUTHS, predictions, sf, n_boot=200)
    assert s.images == 4
    assert s.accuracy["all"]["top1"].value == 0.25
    assert s.accuracy["all"]["top5"].value == 0.75
    assert s.accuracy["all"]["multilabel"].value == 0.5
    assert s.accuracy["single"]["top1"].value == 0.5 and s.accuracy["single"]["top1"].n == 2
    assert s.accuracy["multi"]["top1"].value == 0.0
    assert s.accuracy["multi"]["top5"].value == 0.5
    assert s.accuracy["multi"]["multilabel"].value == 0.5
    assert (s.top5_corrections, s.top5_corrections_other_object) == (2, 1)
    assert s.other_object_share == 0.5
    assert s.mean_sf.value == pytest.approx((1.0 + 0.2 + 0.8) / 3) and s.mean_sf.n == 3
    assert s.sf_unmeasured == 1  # counted, not silently dropped
    assert s.main_label_rate.value == 0.5  # a and c
    assert sorted(s.mistake_sfs) == [0.2, 0.8]
    # Fig 5: on "c" only (its main object is not the dataset label's), top-1 is the main label.
    assert s.accuracy["main_object_differs"]["top1"].n == 1
    assert s.accuracy["main_object_differs"]["top1"].value == 0.0
    assert s.accuracy["main_object_differs"]["main"].value == 1.0


def test_a_synonym_in_the_dataset_labels_object_is_no_second_object():
    """Fig 21: top-1 is a synonym of the dataset label given to the same object (and the
    object's label): a top-5 correction, but not one of two different objects."""
    synonym = ImageTruth("s", 3, 4, (4,), (frozenset({3, 4}),))
    s = a.score_model("m", [synonym], {"s": [4, 3, 8, 9, 10]}, {}, n_boot=50)
    assert s.top5_corrections == 1 and s.top5_corrections_other_object == 0
    assert s.accuracy["all"]["multilabel"].value == 1.0  # 4 is the object's label


def test_multilabel_accuracy_is_an_objects_label_not_the_main_label():
    """Tsipras: right iff the prediction is the label of an object. A main label that is a
    less selected synonym inside an object is no alternative."""
    t = ImageTruth("m", 3, 4, (3,), (frozenset({3, 4}),))
    assert t.correct_labels == {3}
    s = a.score_model("m", [t], {"m": [4, 1, 2, 5, 6]}, {}, n_boot=50)
    assert s.accuracy["all"]["multilabel"].value == 0.0
    assert s.accuracy["all"]["main"].value == 1.0


def test_dataset_label_assessment_is_figure_8s_reference():
    sf = {("a", 1): 1.0, ("b", 2): 0.5, ("c", 3): 0.25}  # "d" unmeasured
    ref = a.dataset_label_assessment(TRUTHS, sf, n_boot=100)
    assert ref.mean_sf.value == pytest.approx(1.75 / 3) and ref.sf_unmeasured == 1
    assert ref.main_label_rate.value == 0.75  # "c": the main label is the other object
    assert ref.main_label_rate.low <= 0.75 <= ref.main_label_rate.high


def test_score_model_with_no_frequencies_and_no_overlap():
    s = a.score_model("m", TRUTHS, {"a": [9, 1, 2, 3, 4]}, {}, n_boot=50)
    assert s.mean_sf.n == 0 and math.isnan(s.mean_sf.value) and s.sf_unmeasured == 1
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


def test_cooccurrence_rows_are_the_dataset_label_columns_the_other_objects():
    truths = [
        ImageTruth("single", 1, 1, (1,)),  # nothing else in the image
        ImageTruth("dog+car", 1, 1, (1, 3)),  # animal image with a thing
        ImageTruth("car+2food", 3, 3, (3, 4, 6)),  # thing image, two food objects: once
        ImageTruth("dog+dog", 1, 1, (2, 1)),  # the dataset label's object is the second
        ImageTruth("lost", 5, 4, (4, 6)),  # dataset label in no object: left out
    ]
    m = a.cooccurrence_matrix(truths, SUPER, NAMES)
    assert m.tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert not (m == m.T).all()  # a thing in an animal image is no animal in a thing image
    assert a.matrix_as_dict(m, NAMES)["animal"] == {"animal": 1, "thing": 1, "food": 0}


def test_people_confusion_keeps_classify_and_contains_apart():
    from dashboard.analyses import superclass_figures

    truths = [ImageTruth("x", 1, 3, (1, 3)), ImageTruth("y", 2, 2, (2,))]
    sf = {("x", 1): 0.5, ("x", 4): 0.9, ("y", 2): 1.0, ("z", 5): 0.5, ("z", 6): 0.5}
    inputs = {"truths": truths, "sf": sf, "dataset": {"x": 1, "y": 2, "z": 3}}
    figures = superclass_figures({**inputs, "supers": NAMES, "super_of": SUPER})
    # CLASSIFY: x's main label 3 is a thing; CONTAINS: x's most selected label 4 is food.
    assert figures["confusion_main"].tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]
    # z has no CLASSIFY answers; its tie 5/6 goes to the lower index, 5 (a thing).
    assert figures["confusion_contains"].tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]


def test_validated_pairs_come_from_contains_frequencies():
    sf = {
        ("x", 10): 0.9,
        ("x", 11): 0.5,
        ("x", 12): 0.4,  # 12 below the threshold
        ("y", 11): 1.0,
        ("y", 10): 0.6,
        ("y", 12): 0.7,
        ("z", 12): 1.0,
    }
    assert a.validated_pairs(sf) == [(10, 11, ("x", "y")), (10, 12, ("y",)), (11, 12, ("y",))]
    assert a.validated_pairs(sf, threshold=0.4, min_images=2) == [
        (10, 11, ("x", "y")),
        (10, 12, ("x", "y")),
        (11, 12, ("x", "y")),
    ]
    predictions = {"m1": {"x": [10], "y": [7]}, "m2": {"x": [10]}}
    scored = a.pair_accuracy([(10, 11, ("x", "y"))], {"x": 10, "y": 11}, predictions)
    assert scored[0].accuracy == {"m1": 0.5, "m2": 1.0} and scored[0].mean_accuracy == 0.75


def test_labels_as_often_as_the_dataset_label():
    sf = {
        ("x", 1): 0.8,
        ("x", 2): 0.8,
        ("x", 3): 0.4,
        ("x", 4): 0.1,
        ("y", 5): 0.5,
        ("y", 6): 0.0,
        ("z", 7): 0.0,
        ("z", 8): 1.0,  # dataset label never selected: left out
    }
    out = a.labels_as_often_as_dataset_label(sf, {"x": 1, "y": 5, "z": 7}, (0.5, 1.0))
    assert out == {0.5: {0: 1, 2: 1}, 1.0: {0: 1, 1: 1}}


def test_agreement_split_by_number_of_objects():
    agreement = {"a": 1.0, "b": 0.5, "c": 0.55, "d": 0.95}
    out = a.agreement_by_objects(agreement, {"a": 1, "b": 2, "c": 2, "d": 1}, bins=2)
    assert out == {1: [0, 2], 2: [0, 2]}
    out = a.agreement_by_objects(agreement, {"a": 1, "b": 2, "c": 2, "d": 1}, bins=4)
    assert out == {1: [0, 0, 0, 2], 2: [0, 0, 2, 0]}


def test_subsampled_frequencies_draw_annotators_per_grid_with_a_seed():
    pairs = (("x", 1), ("y", 1))
    answers = tuple(frozenset({("x", 1)} if k < 6 else {("y", 1)}) for k in range(9))
    grids = {1: a.GridVotes(pairs, answers), 2: a.GridVotes((("z", 2),), answers[:3])}
    full = a.subsampled_frequencies(grids, annotators=9)
    assert full == {("x", 1): 6 / 9, ("y", 1): 3 / 9, ("z", 2): 0.0}
    assert a.subsampled_frequencies(grids, annotators=None) == full
    unanswered = {3: a.GridVotes((("w", 1),), ())}
    assert a.subsampled_frequencies(unanswered, annotators=None) == {}  # no kept answer
    five = a.subsampled_frequencies(grids, annotators=5, seed=3)
    assert five == a.subsampled_frequencies(grids, annotators=5, seed=3)
    assert five[("x", 1)] + five[("y", 1)] == pytest.approx(1.0)  # each answer chose one
    assert {round(5 * v) for v in (five[("x", 1)], five[("y", 1)])} <= set(range(6))
    assert five[("z", 2)] == 0.0  # a grid with 3 answers keeps all 3
    seeds = {a.subsampled_frequencies(grids, 5, seed)[("x", 1)] for seed in range(20)}
    assert len(seeds) > 1  # the draw does depend on the seed
    c = a.compare_frequencies(full, five, bins=2)
    assert c.pairs == 3 and c.full_counts == [2, 1]
    assert c.mean_abs_difference == pytest.approx(
        (abs(6 / 9 - five[("x", 1)]) + abs(3 / 9 - five[("y", 1)])) / 3
    )


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
