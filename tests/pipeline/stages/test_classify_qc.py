"""Stage 5 shell: CLASSIFY quality control stored per answer, every rule at its threshold."""

from __future__ import annotations

import itertools

import pytest

from crowd.models import ClassifyAnswer, QcStatus
from pipeline.models import StageRun
from pipeline.stages.classify_qc import run_qc
from tests.pipeline.classify_builders import FRUIT, answer, follow_up, make_campaign, task_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def fruit(catalogue):
    return [catalogue[w] for w in FRUIT]


NAMES = itertools.count()


def tasks(campaign, fruit, n: int):
    return [
        task_for(campaign, follow_up(campaign, f"img{next(NAMES)}", fruit[0], fruit))
        for _ in range(n)
    ]


def work(campaign, fruit, who: str, answers: int, flagged: int) -> list[ClassifyAnswer]:
    """`answers` answers by one worker, the first `flagged` of them breaking rule 1."""
    orange, lemon, _ = fruit
    rows = []
    for i, task in enumerate(tasks(campaign, fruit, answers)):
        if i < flagged:
            rows.append(answer(task, who, [orange], lemon))  # main not among selected
        else:
            rows.append(answer(task, who, [orange, lemon], lemon))
    return rows


def status(rows):
    return [ClassifyAnswer.objects.get(pk=r.pk).qc_status for r in rows]


def test_answer_rules_flag_each_invalid_answer_with_its_reason(fruit):
    campaign = make_campaign()
    orange, lemon, berry = fruit
    t = tasks(campaign, fruit, 4)
    good = answer(t[0], "w1", [orange, lemon], lemon)
    empty = answer(t[1], "w2", [], orange)
    outside = answer(t[2], "w3", [orange], berry)
    no_main = answer(t[3], "w4", [orange], None)
    summary = run_qc(campaign)
    stored = {a.pk: a for a in ClassifyAnswer.objects.all()}
    assert stored[good.pk].qc_status == QcStatus.KEPT and stored[good.pk].qc_reason == ""
    assert stored[empty.pk].qc_status == QcStatus.DROPPED_ANSWER
    assert stored[empty.pk].qc_reason.startswith("no_label_selected")
    for row in (outside, no_main):
        assert stored[row.pk].qc_status == QcStatus.DROPPED_ANSWER
        assert stored[row.pk].qc_reason.startswith("main_not_selected")
    # each of w2..w4 has one answer, all flagged: more than a third, so dropped too
    assert "worker dropped" in stored[empty.pk].qc_reason
    assert summary.by_reason == {"no_label_selected": 1, "main_not_selected": 2}
    assert (summary.answers, summary.kept, summary.dropped_workers) == (4, 1, 3)


def test_worker_at_exactly_a_third_flagged_keeps_the_good_answers(fruit):
    campaign = make_campaign()
    rows = work(campaign, fruit, "edge", answers=6, flagged=2)
    summary = run_qc(campaign)
    assert status(rows) == [QcStatus.DROPPED_ANSWER] * 2 + [QcStatus.KEPT] * 4
    assert summary.dropped_workers == 0 and summary.kept == 4


def test_worker_just_above_a_third_flagged_loses_every_answer(fruit):
    campaign = make_campaign()
    rows = work(campaign, fruit, "over", answers=8, flagged=3)  # 0.375 > 1/3
    summary = run_qc(campaign)
    assert status(rows) == [QcStatus.DROPPED_ANSWER] * 3 + [QcStatus.DROPPED_WORKER] * 5
    dropped = ClassifyAnswer.objects.get(pk=rows[-1].pk)
    assert dropped.qc_reason == "worker_flagged_share: 3 of 8 answers flagged (more than 1/3)"
    assert summary.by_reason == {"main_not_selected": 3, "worker_flagged_share": 5}
    assert summary.kept == 0 and summary.dropped_workers == 1


def test_threshold_is_the_campaigns_parameter(fruit):
    campaign = make_campaign(classify_qc_worker_flagged_share=0.5)
    rows = work(campaign, fruit, "over", answers=8, flagged=3)
    run_qc(campaign)
    assert status(rows) == [QcStatus.DROPPED_ANSWER] * 3 + [QcStatus.KEPT] * 5
    run = StageRun.objects.get(campaign=campaign, stage=StageRun.Stage.CLASSIFY_QC)
    assert run.params["classify_qc_worker_flagged_share"] == 0.5
    assert run.status == StageRun.Status.DONE and "5 kept" in run.message


def test_worker_rule_counts_answers_across_the_campaign_only(fruit):
    first, second = make_campaign("a"), make_campaign("b")
    mine = work(first, fruit, "w", answers=3, flagged=1)  # 1/3 here
    work(second, fruit, "w", answers=2, flagged=2)  # elsewhere: does not count here
    run_qc(first)
    assert status(mine) == [QcStatus.DROPPED_ANSWER, QcStatus.KEPT, QcStatus.KEPT]


def test_rerun_is_idempotent_and_takes_new_answers_in(fruit):
    campaign = make_campaign()
    rows = work(campaign, fruit, "w", answers=3, flagged=1)
    run_qc(campaign)
    first = list(ClassifyAnswer.objects.order_by("pk").values_list("qc_status", "qc_reason"))
    run_qc(campaign)
    assert list(ClassifyAnswer.objects.order_by("pk").values_list("qc_status", "qc_reason")) == (
        first
    )
    orange, lemon, _ = fruit  # a late, flagged answer tips the worker over a third
    late = answer(tasks(campaign, fruit, 1)[0], "w", [], orange)
    run_qc(campaign)
    assert status([*rows, late]) == [
        QcStatus.DROPPED_ANSWER,
        QcStatus.DROPPED_WORKER,
        QcStatus.DROPPED_WORKER,
        QcStatus.DROPPED_ANSWER,
    ]
