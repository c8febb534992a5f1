"""CONTAINS grids: coverage of every pair, controls, sizes, determinism, small classes."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pipeline.params import CampaignParams
from pipeline.rules.grids import (
    NO_CONTROLS,
    SHORT_OF_CONTROLS,
    SPLIT_FOR_CONTROLS,
    GridPlan,
    build_grids,
)

PAPER = CampaignParams()


def assert_valid(plan: GridPlan, potential, dataset, params=PAPER, extra=None) -> None:
    """Every pair tested exactly once under its own query; controls are what they claim."""
    expected = {(i, d) for i, d in dataset.items()}
    expected |= {(i, label) for i, labels in potential.items() for label in labels}
    seen = Counter()
    for grid in plan.grids:
        images = [item.image_id for item in grid.items]
        assert len(images) == len(set(images)), "an image twice in one grid"
        assert [item.position for item in grid.items] == list(range(len(grid.items)))
        assert len(grid.items) <= params.grid_size
        assert grid.n_controls <= params.min_controls
        for image in grid.tested_images:
            seen[(image, grid.query_label)] += 1
        for image in grid.control_images:
            own = dataset.get(image) == grid.query_label
            assert own or image in (extra or {}).get(grid.query_label, ())
    assert set(seen) == expected
    assert set(seen.values()) == {1}
    assert plan.summary.n_pairs == len(expected)


def small_world():
    """Class 0: 60 images; class 1: 12 images; label 2 only predicted, never a dataset label."""
    dataset = {i: 0 for i in range(60)} | {i: 1 for i in range(60, 72)}
    potential = {i: {0, 2} for i in range(60)} | {i: {1} for i in range(60, 72)}
    potential[0] = {0, 1}  # one class-0 image also tested for label 1
    return dataset, potential


def test_every_pair_in_exactly_one_grid_with_full_controls():
    dataset, potential = small_world()
    plan = build_grids(potential, dataset, seed=1)
    assert_valid(plan, potential, dataset)
    by_label = Counter(grid.query_label for grid in plan.grids)
    # label 0: 60 pairs / 43 -> 2 grids; label 1: 13 pairs fit one grid but its 12 images are
    # all tested there, so it is split in two; label 2: 59 pairs -> 2 grids.
    assert by_label == {0: 2, 1: 2, 2: 2}
    for grid in plan.grids:
        if grid.query_label in (0, 1):
            assert grid.n_controls == PAPER.min_controls
            assert all(dataset[image] == grid.query_label for image in grid.control_images)
            assert not set(grid.control_images) & set(grid.tested_images)


def test_grid_sizes_are_balanced_and_filled_up_to_the_controls():
    dataset = {i: 0 for i in range(100)}
    potential = {i: {0} for i in range(100)}
    plan = build_grids(potential, dataset)
    assert [len(grid.tested_images) for grid in plan.grids] == [34, 33, 33]
    assert [len(grid.items) for grid in plan.grids] == [39, 38, 38]
    dataset = {i: 0 for i in range(86)}
    plan = build_grids({}, dataset)
    assert [len(grid.items) for grid in plan.grids] == [48, 48]  # 43 tested + 5 controls


def test_dataset_label_is_tested_even_when_not_listed():
    dataset = {1: 7, 2: 7, 3: 8}
    plan = build_grids({1: [9], 2: [], 3: [7]}, dataset)
    pairs = {(image, g.query_label) for g in plan.grids for image in g.tested_images}
    assert pairs == {(1, 7), (1, 9), (2, 7), (3, 8), (3, 7)}


def test_same_seed_same_grids_and_input_order_does_not_matter():
    dataset, potential = small_world()
    first = build_grids(potential, dataset, seed=5)
    reordered = dict(reversed(list(potential.items())))
    again = build_grids(reordered, dict(reversed(list(dataset.items()))), seed=5)
    assert first.grids == again.grids
    other = build_grids(potential, dataset, seed=6)
    assert other.grids != first.grids
    assert_valid(other, potential, dataset)


def test_positions_are_shuffled():
    dataset = {i: 0 for i in range(40)}
    plan = build_grids({}, dataset, seed=0)
    (grid,) = plan.grids[:1]
    controls_at = [item.position for item in grid.items if item.is_control]
    assert controls_at != list(range(len(grid.items) - 5, len(grid.items)))
    tested = grid.tested_images
    assert tested != sorted(tested)


def test_other_labels_keep_their_grids_when_one_label_changes():
    dataset, potential = small_world()
    before = build_grids(potential, dataset, seed=2)
    potential = {**potential, 61: {1, 2}}  # a class-1 image now also tested for label 2
    after = build_grids(potential, dataset, seed=2)
    assert [g for g in before.grids if g.query_label == 0] == [
        g for g in after.grids if g.query_label == 0
    ]


def test_small_class_is_split_so_each_half_controls_the_other():
    dataset = {i: 3 for i in range(10)}
    plan = build_grids({}, dataset, seed=0)
    assert len(plan.grids) == 2
    first, second = plan.grids
    assert sorted(first.control_images) == sorted(second.tested_images)
    assert sorted(second.control_images) == sorted(first.tested_images)
    assert all(
        SPLIT_FOR_CONTROLS in g.flags and SHORT_OF_CONTROLS not in g.flags for g in plan.grids
    )
    assert plan.summary.labels_split_for_controls == 1
    assert plan.warnings == []


def test_tiny_class_is_split_once_and_flagged_short():
    dataset = {i: 3 for i in range(3)}
    plan = build_grids({}, dataset, seed=0)
    assert sorted(len(g.tested_images) for g in plan.grids) == [1, 2]
    assert sorted(g.n_controls for g in plan.grids) == [1, 2]
    assert all(SHORT_OF_CONTROLS in g.flags for g in plan.grids)
    assert plan.summary.grids_short_of_controls == 2
    assert plan.summary.controls_histogram == {1: 1, 2: 1}
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith("label 3: 2 of 2 grid(s)")


def test_single_image_class_has_no_controls_and_is_not_split():
    plan = build_grids({}, {0: 4}, seed=0)
    (grid,) = plan.grids
    assert grid.tested_images == [0] and grid.control_images == []
    assert set(grid.flags) == {SHORT_OF_CONTROLS, NO_CONTROLS}
    assert plan.summary.grids_without_controls == 1


def test_label_that_is_no_dataset_label_has_no_controls():
    dataset, potential = small_world()
    plan = build_grids(potential, dataset, seed=0)
    label2 = [g for g in plan.grids if g.query_label == 2]
    assert all(g.n_controls == 0 and NO_CONTROLS in g.flags for g in label2)
    assert any(w.startswith("label 2: 2 of 2") for w in plan.warnings)
    assert plan.summary.grids_without_controls == 2


def test_extra_controls_fill_a_small_class_without_a_split():
    dataset = {i: 3 for i in range(4)}
    extra = {3: [100, 101, 102, 103, 104, 105, 1]}  # 1 is in the batch: not an extra
    plan = build_grids({}, dataset, extra_controls=extra, seed=0)
    (grid,) = plan.grids
    assert sorted(grid.tested_images) == [0, 1, 2, 3]
    assert grid.n_controls == 5
    assert set(grid.control_images) <= {100, 101, 102, 103, 104, 105}
    assert grid.flags == ()
    assert_valid(plan, {}, dataset, extra=extra)


def test_controls_are_reused_evenly_across_a_labels_grids():
    # 10 class-5 images plus 190 other images tested for label 5: ceil(200 / 43) = 5 grids, each
    # testing 2 class-5 images and taking 5 controls from the other 8.
    dataset = {i: 5 for i in range(10)} | {i: 6 for i in range(10, 200)}
    potential = {i: {5} for i in range(10, 200)}
    plan = build_grids(potential, dataset, seed=0)
    grids5 = [g for g in plan.grids if g.query_label == 5]
    assert len(grids5) == 5
    assert all(sum(dataset[i] == 5 for i in g.tested_images) == 2 for g in grids5)
    assert all(g.n_controls == 5 for g in grids5)
    uses = Counter(image for g in grids5 for image in g.control_images)
    assert sum(uses.values()) == 25 and set(uses) == set(range(10))
    assert max(uses.values()) - min(uses.values()) <= 1
    assert plan.summary.max_control_reuse == 3
    assert_valid(plan, potential, dataset)


def test_parameters_are_respected():
    params = CampaignParams(grid_size=10, min_controls=3)
    dataset = {i: 0 for i in range(30)}
    plan = build_grids({}, dataset, params=params, seed=0)
    assert len(plan.grids) == 5  # ceil(30 / 7)
    assert all(len(g.items) <= 10 and g.n_controls == 3 for g in plan.grids)
    assert_valid(plan, {}, dataset, params=params)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="without a dataset label"):
        build_grids({1: [2], 5: [2]}, {1: 2})
    with pytest.raises(ValueError, match="no room"):
        build_grids({}, {1: 2}, params=CampaignParams(grid_size=5, min_controls=5))


def test_paper_sized_campaign():
    """10,000 images, 1,000 classes, 14 potential labels each: about the paper's 3,934 grids."""
    rng = random.Random(0)
    dataset = {i: i % 1000 for i in range(10_000)}
    potential = {}
    for image, label in dataset.items():
        labels = {label}
        while len(labels) < 14:
            labels.add(int(abs(rng.gauss(label, 30))) % 1000)
        potential[image] = labels
    plan = build_grids(potential, dataset, seed=0)
    assert_valid(plan, potential, dataset)
    summary = plan.summary
    assert summary.n_pairs == 140_000 and summary.n_labels == 1000
    assert 140_000 / 43 <= summary.n_grids < 4_300
    assert summary.controls_min == summary.controls_max == 5
    assert summary.grids_short_of_controls == 0 and plan.warnings == []
