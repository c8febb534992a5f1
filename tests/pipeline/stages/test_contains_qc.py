"""Quality control written to the database, on hand-made answers at and around the
thresholds (5 controls per grid: 20% is 1 control, 40% is 2)."""

from __future__ import annotations

import pytest

from core.errors import MissingInput
from crowd.models import ContainsAnswer, ContainsSelection, QcStatus
from pipeline.models import StageRun
from pipeline.stages.contains_qc import load_answers, run_qc
from tests.builders import (
    SOCCER_BALL,
    TABBY,
    answer,
    hand_grid,
    make_images,
    worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids(make_campaign, catalogue):
    campaign = make_campaign([TABBY], 1, extra=0)
    tabby = catalogue[TABBY]
    controls = make_images(campaign.dataset, tabby, 5)
    tested = make_images(campaign.dataset, catalogue[SOCCER_BALL], 4)
    g = [hand_grid(campaign, tabby, tested[i : i + 1], controls) for i in range(3)]
    g.append(hand_grid(campaign, tabby, tested[3:], []))  # a grid without controls
    return campaign, g


def status(ans: ContainsAnswer) -> tuple[str, str]:
    ans.refresh_from_db()
    return ans.qc_status, ans.qc_reason


def test_control_counts_come_from_the_database(grids):
    campaign, g = grids
    a = answer(g[0], worker("w"), controls_found=3)
    b = answer(g[3], worker("w"))
    rows = {x.answer_id: x for x in load_answers(campaign)}
    assert (rows[a.pk].n_controls, rows[a.pk].n_controls_selected) == (5, 3)
    assert (rows[b.pk].n_controls, rows[b.pk].n_controls_selected) == (0, 0)


def test_rules_at_and_around_thresholds(grids):
    campaign, (g1, g2, g3, g4) = grids
    w1, w2, w3 = worker("w1"), worker("w2"), worker("w3")
    # w1: no bad grid (1 of 5 is exactly 20%, not below): the grid rule alone applies.
    a11 = answer(g1, w1, controls_found=1)  # 20% < 40%: dropped
    a12 = answer(g2, w1, controls_found=2)  # exactly 40%: kept
    a13 = answer(g3, w1, controls_found=5)
    a14 = answer(g4, w1)  # no controls: kept unchecked
    # w2: 1 bad grid of 2 = half: the worker is dropped, the good answer too.
    a21 = answer(g1, w2, controls_found=0)
    a22 = answer(g2, w2, controls_found=5)
    # w3: 1 bad grid of 3 < half: only the bad answer goes, by the grid rule.
    a31 = answer(g1, w3, controls_found=0)
    a32 = answer(g2, w3, controls_found=4)
    a33 = answer(g3, w3, controls_found=2)

    result = run_qc(campaign)

    assert status(a11) == (QcStatus.DROPPED_ANSWER, "found 1 of 5 controls, under 40%")
    assert status(a12) == (QcStatus.KEPT, "found 2 of 5 controls")
    assert status(a13) == (QcStatus.KEPT, "found 5 of 5 controls")
    assert status(a14) == (QcStatus.KEPT, "grid has no controls: kept unchecked")
    for a in (a21, a22):
        st, why = status(a)
        assert st == QcStatus.DROPPED_WORKER
        assert "under 20% of the controls in 50% of their grids" in why
    assert status(a22)[1].endswith("this answer found 5 of 5 controls")
    assert status(a31) == (QcStatus.DROPPED_ANSWER, "found 0 of 5 controls, under 40%")
    assert status(a32)[0] == status(a33)[0] == QcStatus.KEPT

    assert result.answers == 9 and result.dropped_workers == 1
    assert result.counts == {"kept": 5, "dropped_worker": 2, "dropped_grid": 2, "unchecked": 1}
    assert result.by_status == {"kept": 5, "dropped_worker": 2, "dropped_answer": 2}
    assert StageRun.objects.get(pk=result.run_id).status == StageRun.Status.DONE


def test_rerun_judges_again(grids):
    campaign, (g1, g2, *_) = grids
    w = worker("w")
    a1 = answer(g1, w, controls_found=1)
    answer(g2, w, controls_found=5)
    run_qc(campaign)
    assert status(a1)[0] == QcStatus.DROPPED_ANSWER
    # the answer gains a control (a correction): the next run keeps it
    item = g1.items.filter(is_control=True).exclude(selections__answer=a1).first()
    ContainsSelection.objects.create(answer=a1, item=item)
    run_qc(campaign)
    assert status(a1) == (QcStatus.KEPT, "found 2 of 5 controls")
    assert not ContainsAnswer.objects.filter(qc_status=QcStatus.PENDING).exists()


def test_no_answers_is_a_clear_error(grids):
    campaign, _ = grids
    with pytest.raises(MissingInput, match="no CONTAINS answers"):
        run_qc(campaign)
