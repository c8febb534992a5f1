"""Selection frequencies counted by the database on a small hand-made case."""

from __future__ import annotations

import pytest

from core.errors import MissingInput
from crowd.models import ContainsAnswer, QcStatus
from pipeline.models import SelectionFrequency, StageRun
from pipeline.stages.selection_frequencies import compute_frequencies
from tests.builders import (
    SOCCER_BALL,
    TABBY,
    TENNIS_BALL,
    answer,
    hand_grid,
    make_images,
    worker,
)

pytestmark = pytest.mark.django_db


def frequencies(campaign) -> dict:
    rows = SelectionFrequency.objects.filter(campaign=campaign)
    return {(r.image_id, r.label_id): (r.selected, r.answers, r.frequency) for r in rows}


@pytest.fixture
def case(make_campaign, catalogue):
    campaign = make_campaign([TABBY], 1, extra=0)
    tabby, ball, tennis = catalogue[TABBY], catalogue[SOCCER_BALL], catalogue[TENNIS_BALL]
    i1, i2 = make_images(campaign.dataset, ball, 2)
    controls = make_images(campaign.dataset, tabby, 5)
    g = hand_grid(campaign, tabby, [i1, i2], controls)  # query tabby: i1, i2 tested
    empty = hand_grid(campaign, tennis, [i1], [])  # no kept answer at all
    kept = [
        answer(g, worker("a"), [i1], controls_found=5),
        answer(g, worker("b"), [i1, i2], controls_found=3),
        answer(g, worker("c"), [], controls_found=2),
    ]
    dropped = answer(g, worker("d"), [i2], controls_found=0)
    pending = answer(g, worker("e"), [i1, i2], controls_found=5)
    for a in kept:
        a.qc_status = QcStatus.KEPT
        a.save()
    dropped.qc_status = QcStatus.DROPPED_ANSWER
    dropped.save()
    lost = answer(empty, worker("a"), [i1])
    lost.qc_status = QcStatus.DROPPED_WORKER
    lost.save()
    return campaign, tabby, tennis, i1, i2, controls, pending


def test_counts_kept_answers_only(case):
    campaign, tabby, tennis, i1, i2, controls, _ = case
    result = compute_frequencies(campaign)
    sf = frequencies(campaign)
    assert sf == {
        (i1.pk, tabby.pk): (2, 3, 2 / 3),
        (i2.pk, tabby.pk): (1, 3, 1 / 3),
        (i1.pk, tennis.pk): (0, 0, None),  # its only answer was dropped
    }
    assert result.pairs == 3 and result.pairs_without_answers == 1
    assert result.pending_answers == 1  # answer "e" was never judged: not counted
    run = StageRun.objects.get(pk=result.run_id)
    assert run.params["include_controls"] is False
    assert set(SelectionFrequency.objects.values_list("run", flat=True)) == {run.pk}


def test_controls_counted_on_request(case):
    campaign, tabby, _, i1, _, controls, _ = case
    compute_frequencies(campaign, include_controls=True)
    sf = frequencies(campaign)
    # kept answers found 5, 3 and 2 controls (the first ones): control k is selected by the
    # answers that found more than k
    expected = [(3, 3), (3, 3), (2, 3), (1, 3), (1, 3)]
    assert [sf[(c.pk, tabby.pk)][:2] for c in controls] == expected
    assert sf[(i1.pk, tabby.pk)][:2] == (2, 3)


def test_rerun_replaces_rows(case):
    campaign, tabby, _, i1, *_ = case
    first = compute_frequencies(campaign)
    ContainsAnswer.objects.filter(worker__external_id="b").update(qc_status=QcStatus.DROPPED_ANSWER)
    second = compute_frequencies(campaign)
    assert second.pairs == first.pairs
    assert SelectionFrequency.objects.filter(campaign=campaign).count() == 3
    assert frequencies(campaign)[(i1.pk, tabby.pk)] == (1, 2, 0.5)
    assert not SelectionFrequency.objects.filter(run_id=first.run_id).exists()


def test_no_grids_is_a_clear_error(make_campaign):
    campaign = make_campaign([TABBY], 1)
    with pytest.raises(MissingInput, match="no grids"):
        compute_frequencies(campaign)
