"""Grid building stored in the database: sizes, controls, coverage, notes, re-runs."""

from __future__ import annotations

from collections import Counter

import pytest

from core.errors import MissingInput, OutputLocked
from crowd.models import ContainsAnswer, ContainsGrid, GridItem
from pipeline.models import PotentialLabel, StageRun
from pipeline.rules.grids import NO_CONTROLS, SHORT_OF_CONTROLS
from pipeline.stages.grids import build_grids
from tests.builders import (
    GOLF_BALL,
    LEMON,
    ORANGE,
    SOCCER_BALL,
    TABBY,
    answer,
    make_images,
    worker,
)

pytestmark = pytest.mark.django_db


def stored_items(campaign):
    return list(
        GridItem.objects.filter(grid__campaign=campaign).values_list(
            "grid_id", "grid__query_id", "image_id", "image__label_id", "is_control", "position"
        )
    )


def test_every_pair_tested_once_with_controls(make_campaign):
    # 20 images per class, 3 potential labels each: grids of 12 hold 7 tested + 5 controls.
    campaign = make_campaign([TABBY, SOCCER_BALL, ORANGE, LEMON], 20, grid_size=12)
    result = build_grids(campaign)

    items = stored_items(campaign)
    pairs = set(PotentialLabel.objects.filter(campaign=campaign).values_list("image", "label"))
    tested = Counter((image, query) for _, query, image, _, control, _ in items if not control)
    assert set(tested) == pairs and set(tested.values()) == {1}
    assert result.pairs == len(pairs) and result.items == len(items)

    grids = ContainsGrid.objects.filter(campaign=campaign)
    assert grids.count() == result.grids
    per_grid = Counter(grid for grid, *_ in items)
    controls = Counter(grid for grid, _, _, _, control, _ in items if control)
    for grid in grids:
        assert per_grid[grid.pk] <= 12
        assert controls[grid.pk] == 5  # every class has 20 images: always enough
        assert grid.notes == []
        positions = sorted(p for g, *_, p in items if g == grid.pk)
        assert positions == list(range(per_grid[grid.pk]))
    for grid, query, image, label, control, _ in items:
        if control:
            assert label == query  # a control's own label is the query
            assert (grid, query, image, label, False) not in {i[:5] for i in items}
    ids = list(grids.values_list("public_id", flat=True))
    assert len(set(ids)) == len(ids) and all(len(i) >= 20 for i in ids)
    run = StageRun.objects.get(pk=result.run_id)
    assert run.status == StageRun.Status.DONE and run.done == result.grids
    assert f"{result.grids} grids" in run.message


def test_positions_are_shuffled(make_campaign):
    campaign = make_campaign([TABBY, SOCCER_BALL], 30, extra=1)
    build_grids(campaign)
    flags = [
        is_control
        for is_control in GridItem.objects.filter(grid__campaign=campaign)
        .order_by("grid", "position")
        .values_list("is_control", flat=True)
    ]
    # controls are not all at the end of their grids
    grids = ContainsGrid.objects.filter(campaign=campaign)
    tails = [
        list(g.items.order_by("-position").values_list("is_control", flat=True)[:5]) for g in grids
    ]
    assert any(not all(tail) for tail in tails) and any(flags)


def test_small_class_is_flagged_and_reported(make_campaign, catalogue):
    # GOLF_BALL has 3 images: its grids cannot have 5 controls.
    campaign = make_campaign([TABBY, GOLF_BALL], [20, 3], extra=1)
    result = build_grids(campaign)
    golf = catalogue[GOLF_BALL].pk
    golf_grids = ContainsGrid.objects.filter(campaign=campaign, query_id=golf)
    assert golf_grids.exists()
    for grid in golf_grids:
        n_controls = grid.items.filter(is_control=True).count()
        assert n_controls < 5
        assert SHORT_OF_CONTROLS in grid.notes
        assert (NO_CONTROLS in grid.notes) == (n_controls == 0)
    assert any(f"label {golf}" in w for w in result.warnings)
    assert result.summary.grids_short_of_controls == golf_grids.count()
    run = StageRun.objects.get(pk=result.run_id)
    assert f"label {golf}" in run.message


def test_images_without_potential_labels_serve_as_controls_only(make_campaign, catalogue):
    campaign = make_campaign([TABBY, SOCCER_BALL], [6, 20], extra=1)
    spare = make_images(campaign.dataset, catalogue[TABBY], 5)  # stage 1 never saw them
    result = build_grids(campaign)
    assert result.control_only_images == 5
    roles = set(
        GridItem.objects.filter(image__in=spare).values_list("is_control", "grid__query_id")
    )
    assert roles == {(True, catalogue[TABBY].pk)}


def test_rerun_replaces_unanswered_grids(make_campaign):
    campaign = make_campaign([TABBY, SOCCER_BALL], 20)
    first = build_grids(campaign)
    old_ids = set(ContainsGrid.objects.filter(campaign=campaign).values_list("pk", flat=True))
    second = build_grids(campaign)
    assert second.replaced == first.grids and second.grids == first.grids
    new_ids = set(ContainsGrid.objects.filter(campaign=campaign).values_list("pk", flat=True))
    assert not old_ids & new_ids
    assert GridItem.objects.filter(grid__campaign=campaign).count() == second.items


def test_answered_grids_are_locked(make_campaign):
    campaign = make_campaign([TABBY, SOCCER_BALL], 20)
    build_grids(campaign)
    grid = ContainsGrid.objects.filter(campaign=campaign).first()
    kept = answer(grid, worker("w1"))
    runs = StageRun.objects.count()
    with pytest.raises(OutputLocked, match="1 CONTAINS answer"):
        build_grids(campaign)
    assert ContainsAnswer.objects.filter(pk=kept.pk).exists()
    assert ContainsGrid.objects.filter(pk=grid.pk).exists()
    assert StageRun.objects.count() == runs  # refused before recording a run


def test_no_potential_labels_is_a_clear_error(make_campaign):
    campaign = make_campaign([TABBY], 3)
    PotentialLabel.objects.filter(campaign=campaign).delete()
    with pytest.raises(MissingInput, match="no potential labels"):
        build_grids(campaign)
    assert not ContainsGrid.objects.filter(campaign=campaign).exists()
