"""CONTAINS quality control: judge every answer of a campaign (core: pipeline.rules.contains_qc).

Per answer, the database counts the controls of its grid and how many of them the answer
selected (two GROUP BY queries, no selection row in Python); the core applies the worker
rule then the grid rule; every answer gets `qc_status` and a `qc_reason` a researcher can
read ("found 1 of 5 controls, under 40%"). Statuses: kept, dropped_worker, dropped_answer
(the core's dropped_grid). Updates are grouped by (status, reason), a few hundred UPDATEs at
paper scale, in one transaction. Re-running judges every answer again from scratch, so
answers that arrived since the last run are included and nothing is judged twice. Only
confirmed answers are judged (crowd.models.Verification): an answer waiting for MTurk to
confirm it stays pending, and counts for no worker.

With the campaign's `qc_min_worker_accuracy` set (off by default), each worker's accuracy is
estimated first by Dawid-Skene on every confirmed answer (pipeline.stages.dawid_skene, nothing
stored), and workers under the bound are dropped too, also those whose grids hold no control.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from core.errors import MissingInput
from crowd.models import ContainsAnswer, ContainsSelection, GridItem, QcStatus, Verification
from pipeline.models import Campaign, StageRun
from pipeline.params import CampaignParams
from pipeline.rules import contains_qc as core
from pipeline.stages import dawid_skene
from pipeline.stages.runs import report_progress, stage_run

STATUS = {
    core.Status.KEPT: QcStatus.KEPT,
    core.Status.DROPPED_WORKER: QcStatus.DROPPED_WORKER,
    core.Status.DROPPED_GRID: QcStatus.DROPPED_ANSWER,
}


@dataclass
class QcResult:
    run_id: int
    answers: int
    counts: dict[str, int]  # kept, dropped_worker, dropped_grid, unchecked
    dropped_workers: int
    by_status: dict[str, int] = field(default_factory=dict)  # QcStatus value -> answers

    def __str__(self) -> str:
        return f"{self.answers} answers: {self.counts}, {self.dropped_workers} workers dropped"


def load_answers(campaign: Campaign) -> list[core.GridAnswer]:
    """Every CONTAINS answer of the campaign with its grid's controls and those it found.

    Two GROUP BY queries count them in the database (controls per grid, controls selected per
    answer); only one row per grid and per answer comes back."""
    controls = dict(
        GridItem.objects.filter(grid__campaign=campaign, is_control=True)
        .order_by()
        .values_list("grid")
        .annotate(n=Count("pk"))
    )
    confirmed = Verification.CONFIRMED
    found = dict(
        ContainsSelection.objects.filter(
            answer__grid__campaign=campaign, answer__verification=confirmed, item__is_control=True
        )
        .order_by()
        .values_list("answer")
        .annotate(n=Count("pk"))
    )
    rows = (
        ContainsAnswer.objects.filter(grid__campaign=campaign, verification=confirmed)
        .order_by("pk")
        .values_list("pk", "worker_id", "grid_id")
    )
    return [
        core.GridAnswer(pk, worker, grid, controls.get(grid, 0), found.get(pk, 0))
        for pk, worker, grid in rows.iterator(chunk_size=20_000)
    ]


def reason(outcome: core.AnswerOutcome, answer: core.GridAnswer, params: CampaignParams) -> str:
    """What a researcher reads beside the status."""
    found = f"found {answer.n_controls_selected} of {answer.n_controls} controls"
    if outcome.dropped_by == "accuracy":
        return (
            f"worker's estimated accuracy {outcome.worker_accuracy:.2f} is under "
            f"{params.qc_min_worker_accuracy:.2f} (Dawid-Skene); this answer "
            + (found if answer.n_controls else "on a grid without controls")
        )
    if outcome.status is core.Status.DROPPED_WORKER:
        return (
            f"worker found under {params.qc_worker_control_rate:.0%} of the controls in "
            f"{outcome.worker_bad_share:.0%} of their grids (limit "
            f"{params.qc_worker_bad_grid_share:.0%}); this answer {found}"
        )
    if outcome.status is core.Status.DROPPED_GRID:
        return f"{found}, under {params.qc_grid_control_rate:.0%}"
    if outcome.control_rate is None:
        return "grid has no controls: kept unchecked"
    return found


def run_qc(campaign: Campaign) -> QcResult:
    """Judge and store every CONTAINS answer of the campaign (module docstring)."""
    answers = load_answers(campaign)
    if not answers:
        waiting = ContainsAnswer.objects.filter(
            grid__campaign=campaign, verification=Verification.PENDING
        ).count()
        raise MissingInput(
            f"campaign {campaign.name!r} has no CONTAINS answers to check"
            + (f" ({waiting} wait for MTurk to confirm them: run `mturk sync`)" if waiting else "")
        )
    params = campaign.params
    accuracy = None
    if params.qc_min_worker_accuracy is not None:
        accuracy = dawid_skene.worker_accuracy(campaign)
    report = core.control_quality(answers, params, accuracy)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for answer, outcome in zip(answers, report.outcomes, strict=True):
        groups[(STATUS[outcome.status], reason(outcome, answer, params))].append(answer.answer_id)
    with stage_run(campaign, StageRun.Stage.CONTAINS_QC, total=len(answers)) as run:
        with transaction.atomic():
            # An answer judged before MTurk took back its confirmation is not judged any more.
            ContainsAnswer.objects.filter(grid__campaign=campaign).exclude(
                verification=Verification.CONFIRMED
            ).exclude(qc_status=QcStatus.PENDING).update(qc_status=QcStatus.PENDING, qc_reason="")
            for (status, text), ids in groups.items():
                for start in range(0, len(ids), 10_000):
                    chunk = ContainsAnswer.objects.filter(pk__in=ids[start : start + 10_000])
                    # rows already judged the same are left alone: re-runs write little
                    chunk.exclude(qc_status=status, qc_reason=text).update(
                        qc_status=status, qc_reason=text
                    )
        report_progress(run, len(answers))
        run.message = _message(report, len(answers))
    by_status: dict[str, int] = defaultdict(int)
    for (status, _), ids in groups.items():
        by_status[status] += len(ids)
    return QcResult(
        run.pk, len(answers), report.counts, len(report.dropped_workers), dict(by_status)
    )


def _message(report: core.QualityReport, total: int) -> str:
    c = report.counts
    by_accuracy = {o.worker_id for o in report.outcomes if o.dropped_by == "accuracy"}
    return (
        f"{total} answers: {c['kept']} kept ({c['unchecked']} on grids without controls), "
        f"{c['dropped_worker']} dropped with their worker ({len(report.dropped_workers)} "
        + (
            f"workers, {len(by_accuracy)} for their estimated accuracy"
            if by_accuracy
            else "workers"
        )
        + f"), {c['dropped_grid']} dropped for too few controls found."
    )
