"""Aggregation of CLASSIFY answers into objects, on hand-made images."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from pipeline.rules import aggregation
from pipeline.rules.aggregation import (
    Response,
    aggregate_image,
    coselection_weights,
    first_mode,
    internal_weight,
    main_label,
    max_k_cut,
    num_objects,
    object_labels,
    partition,
    partition_label_order,
)


def answers(*pairs: tuple[list[int], int]) -> list[Response]:
    return [Response(tuple(selected), main) for selected, main in pairs]


def brute_force_best(weights: list[list[int]], k: int) -> int:
    """Least internal weight over every assignment with k non-empty groups."""
    n = len(weights)
    return min(
        internal_weight(weights, groups)
        for groups in itertools.product(range(k), repeat=n)
        if len(set(groups)) == k
    )


# --- majorities -------------------------------------------------------------------------


def test_first_mode_breaks_ties_by_first_met():
    assert first_mode([2, 1, 1, 2]) == 2
    assert first_mode([1, 2, 2, 1]) == 1
    assert first_mode([3, 1, 1]) == 1


def test_first_mode_rejects_nothing():
    with pytest.raises(ValueError):
        first_mode([])


def test_num_objects_and_main_label_tie_to_first_met():
    rs = answers(([5, 6], 6), ([5], 5), ([6], 5), ([5, 6], 6))
    assert num_objects(rs) == 2  # lengths 2,1,1,2: tie, 2 met first
    assert main_label(rs) == 6  # mains 6,5,5,6: tie, 6 met first


# --- single object ----------------------------------------------------------------------


def test_single_object_keeps_every_label_in_first_selection_order():
    rs = answers(([3], 3), ([7, 3, 1], 7), ([1], 1), ([3], 3))
    agg = aggregate_image(rs, dataset_label=3)
    assert agg["num_objects"] == 1
    assert list(agg["objects"][0]) == ["3", "7", "1"]
    assert agg["objects"][0]["3"] == [3 / 6, 3 / 4]
    assert agg["objects"][0]["7"] == [1 / 6, 1 / 4]
    assert agg["main_object"] == 0 and agg["imagenet_object"] == 0


def test_all_agree_single_label():
    agg = aggregate_image(answers(*[([809], 809)] * 9), dataset_label=809)
    assert agg == {
        "num_objects": 1,
        "main_label": 809,
        "objects": [{"809": [1.0, 1.0]}],
        "main_object": 0,
        "imagenet_object": 0,
    }


def test_dataset_label_nobody_selected_has_no_object():
    agg = aggregate_image(answers(([4], 4), ([4], 4)), dataset_label=9)
    assert agg["imagenet_object"] is None


# --- several objects --------------------------------------------------------------------


def test_two_objects_split_the_coselected_labels():
    rs = answers(([1, 2], 1), ([1, 2], 1), ([2, 3], 2), ([1, 2], 2), ([3], 3))
    agg = aggregate_image(rs, dataset_label=3)
    groups = [set(map(int, obj)) for obj in agg["objects"]]
    assert sorted(map(sorted, groups)) == [[1, 3], [2]]
    # 3 was selected alone once and with 2 once: counts use every answer.
    obj = agg["objects"][agg["imagenet_object"]]
    assert obj["3"] == [2 / 5, 2 / 5] and obj["1"] == [3 / 5, 3 / 5]


def test_label_only_ever_selected_alone_is_left_out_of_several_objects():
    rs = answers(([1, 2], 1), ([1, 2], 2), ([1, 2], 1), ([9], 9), ([9], 9))
    agg = aggregate_image(rs, dataset_label=9)
    labels = {label for obj in agg["objects"] for label in obj}
    assert labels == {"1", "2"}
    assert agg["imagenet_object"] is None
    assert agg["objects"][0][next(iter(agg["objects"][0]))][1] == 3 / 5  # over all 5 answers


def test_annotator_listing_one_label_only():
    rs = answers(([10, 20], 10), ([10, 20], 20), ([10, 20], 10), ([10], 10))
    agg = aggregate_image(rs, dataset_label=10)
    assert agg["num_objects"] == 2
    assert sorted(int(next(iter(o))) for o in agg["objects"]) == [10, 20]
    assert agg["objects"][agg["imagenet_object"]] == {"10": [1.0, 1.0]}


def test_more_labels_than_objects():
    # Workers name the second object 2, 3 or 4 (say, three breeds), rarely two of them.
    rs = answers(([1, 2], 1), ([1, 3], 1), ([1, 4], 4), ([1, 2], 1), ([1, 3], 3), ([2, 3], 2))
    agg = aggregate_image(rs, dataset_label=1)
    assert agg["num_objects"] == 2
    groups = sorted(sorted(map(int, obj)) for obj in agg["objects"])
    assert groups == [[1], [2, 3, 4]]
    assert object_labels(agg["objects"]).count(1) == 1


def test_shares_sum_to_one_within_each_object():
    rs = answers(([1, 2, 3], 1), ([1, 2], 1), ([2, 3], 3), ([1, 3, 4], 4), ([4], 4))
    for obj in aggregate_image(rs, dataset_label=4)["objects"]:
        assert sum(share for share, _ in obj.values()) == pytest.approx(1.0)


def test_partition_tie_follows_published_convention():
    # Published image ILSVRC2012_val_00002054 (answers that selected 2+ labels): 923-932
    # together 6 times, 962 once with both. {932 | 962, 923} and {923 | 962, 932} tie;
    # the authors' aggregate is the first, objects and labels in this order.
    rs = answers(
        ([923, 932], 932), ([415], 415), ([962, 923, 932], 962), ([415], 415),
        *[([923, 932], 932)] * 4, ([932], 932),
    )  # fmt: skip
    assert partition(rs, 2) == [[932], [962, 923]]


def test_partition_label_order_is_set_order_filled_in_answer_order():
    assert partition_label_order([(923, 932), (962, 923, 932)]) == [962, 923, 932]
    assert partition_label_order([(1, 2)]) == partition_label_order([(2, 1)]) == [1, 2]
    # 1 and 9 share a slot: the one added first keeps it.
    assert partition_label_order([(9, 1, 2)]) == [9, 2, 1]
    assert partition_label_order([(1, 9, 2)]) == [1, 2, 9]
    # Five labels grow the table: order by value modulo 32 here.
    assert partition_label_order([(389, 467, 3), (467, 0, 2)]) == [0, 2, 3, 389, 467]


def test_main_object_is_a_vote_over_objects_not_the_main_labels_object():
    # Published image ILSVRC2012_val_00005588: the main label 692 is in object 0, but six
    # answers named a main label of object 1.
    rs = answers(
        ([934, 692], 934), ([868, 692], 692), ([868, 692], 692), ([467, 692], 467),
        ([868, 692], 868), ([868, 692], 692), ([868], 868), ([467], 467), ([467, 868], 467),
    )  # fmt: skip
    agg = aggregate_image(rs, dataset_label=467)
    assert agg["main_label"] == 692
    assert list(agg["objects"][0]) == ["692"]
    assert agg["main_object"] == 1


def test_main_object_vote_tie_goes_to_lower_index():
    rs = answers(([1, 2], 1), ([1, 2], 2))
    agg = aggregate_image(rs, dataset_label=1)
    assert agg["main_object"] == 0
    assert agg["main_label"] == 1
    assert "1" not in agg["objects"][0]  # the main label's object lost the tie


def test_labels_are_string_keys_and_values_plain_floats():
    agg = aggregate_image(answers(([1, 2], 1), ([1], 1)), dataset_label=2)
    for obj in agg["objects"]:
        for key, (share, frequency) in obj.items():
            assert isinstance(key, str)
            assert isinstance(share, float) and isinstance(frequency, float)


def test_no_answers_is_an_error():
    with pytest.raises(ValueError):
        aggregate_image([], dataset_label=1)


# --- the max-k-cut search ----------------------------------------------------------------


def test_max_k_cut_rejects_more_objects_than_labels():
    with pytest.raises(ValueError):
        max_k_cut([[0, 1], [1, 0]], 3)


@pytest.mark.parametrize("seed", range(40))
def test_max_k_cut_is_optimal_and_lex_first_on_small_graphs(seed):
    rnd = random.Random(seed)
    n = rnd.randint(2, 7)
    k = rnd.randint(2, n)
    weights = [[0] * n for _ in range(n)]
    for i, j in itertools.combinations(range(n), 2):
        weights[i][j] = weights[j][i] = rnd.choice([0, 0, 1, 1, 2, 3])
    groups = max_k_cut(weights, k)
    best = brute_force_best(weights, k)
    assert internal_weight(weights, groups) == best
    assert len(set(groups)) == k
    # The lexicographically last optimal assignment, as the authors enumerated them.
    last = max(
        g
        for g in itertools.product(range(k), repeat=n)
        if len(set(g)) == k and internal_weight(weights, g) == best
    )
    assert tuple(k - 1 - g for g in groups) == last


def many_label_answers(n_labels: int, k: int, seed: int) -> list[Response]:
    rnd = random.Random(seed)
    labels = list(range(100, 100 + n_labels))
    rs = [Response(tuple(rnd.sample(labels, k)), labels[0]) for _ in range(5)]
    rs += [Response(tuple(rnd.sample(labels, rnd.randint(2, k + 2))), labels[1]) for _ in range(4)]
    rs.append(Response(tuple(labels), labels[0]))  # every label co-selected at least once
    return rs


@pytest.mark.parametrize(("n_labels", "k"), [(12, 3), (14, 4), (16, 5), (24, 6)])
def test_many_labels_stay_fast_and_bounded(n_labels, k):
    rs = many_label_answers(n_labels, k, seed=n_labels)
    start = time.perf_counter()
    agg = aggregate_image(rs, dataset_label=100)
    elapsed = time.perf_counter() - start
    assert agg["num_objects"] == k
    assert sum(len(obj) for obj in agg["objects"]) == n_labels
    assert all(agg["objects"])
    assert elapsed < 1.0  # the search budget is a few tens of ms; generous for busy CI


def test_past_the_budget_the_result_is_still_a_good_partition(monkeypatch):
    rs = many_label_answers(12, 4, seed=7)
    labels = partition_label_order(aggregation.partition_answers(rs))
    weights = coselection_weights(labels, aggregation.partition_answers(rs))
    exact = max_k_cut(weights, 4)
    monkeypatch.setattr(aggregation, "SEARCH_WORK_BUDGET", 10)
    cut_short = max_k_cut(weights, 4)
    assert len(set(cut_short)) == 4
    greedy = aggregation._local_search(weights, aggregation._greedy_groups(weights, 4), 4)
    assert internal_weight(weights, cut_short) <= internal_weight(weights, greedy)
    assert internal_weight(weights, cut_short) >= internal_weight(weights, exact)


def test_whole_tree_within_budget_up_to_the_exhaustive_limit(monkeypatch):
    n = aggregation.EXHAUSTIVE_MAX_LABELS
    weights = [[0 if i == j else 1 for j in range(n)] for i in range(n)]
    monkeypatch.setattr(aggregation._Search, "_bound", lambda self, i, opened: -(10**9))
    for k in range(2, n):
        search = aggregation._Search(weights, k, aggregation._greedy_groups(weights, k))
        search.run()
        assert search.exhausted, k
