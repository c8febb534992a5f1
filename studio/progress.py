"""Where a campaign stands: its lifecycle, each stage's latest run, and answers in against
answers expected (the page's progress panel and `campaign status`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from crowd.models import ClassifyAnswer, ClassifyTask, ContainsAnswer, ContainsGrid, Verification
from pipeline.models import Campaign, StageRun


def lifecycle(campaign: Campaign) -> str:
    if campaign.closed_at is not None:
        return "closed"
    if campaign.paused_at is not None:
        return "paused"
    started = campaign.runs.exists() or campaign.state != Campaign.State.DRAFT
    return "running" if started else "draft"


@dataclass(frozen=True)
class RunRow:
    stage: str
    status: str
    done: int
    total: int
    message: str


@dataclass(frozen=True)
class AnswerRow:
    kind: str
    tasks: int
    answers: int  # counted (confirmed) answers
    expected: int  # tasks x answers per task


@dataclass(frozen=True)
class Progress:
    lifecycle: str
    state: str
    runs: list[RunRow]
    answers: list[AnswerRow]

    def lines(self) -> list[str]:
        out = [f"Lifecycle: {self.lifecycle}; stage: {self.state}"]
        for r in self.runs:
            out.append(f"  {r.stage}: {r.status} {r.done}/{r.total} {r.message[:120]}".rstrip())
        for a in self.answers:
            out.append(f"  {a.kind}: {a.answers} answers of {a.expected} for {a.tasks} tasks")
        return out


def _latest_runs(campaign: Campaign) -> list[RunRow]:
    latest: dict[str, StageRun] = {}
    for run in campaign.runs.order_by("started_at", "pk"):
        latest[run.stage] = run
    order = list(StageRun.Stage.values)
    return [
        RunRow(r.get_stage_display(), r.status, r.done, r.total, r.message)
        for r in sorted(latest.values(), key=lambda r: order.index(r.stage))
    ]


def campaign_progress(campaign: Campaign) -> Progress:
    grids = ContainsGrid.objects.filter(campaign=campaign).count()
    tasks = ClassifyTask.objects.filter(campaign=campaign).count()
    confirmed = {"verification": Verification.CONFIRMED}
    contains = ContainsAnswer.objects.filter(grid__campaign=campaign, **confirmed)
    classify = ClassifyAnswer.objects.filter(task__campaign=campaign, **confirmed)
    answers = [
        AnswerRow(
            "CONTAINS",
            grids,
            contains.aggregate(n=Count("pk"))["n"],
            grids * campaign.contains_assignments,
        ),
        AnswerRow(
            "CLASSIFY",
            tasks,
            classify.aggregate(n=Count("pk"))["n"],
            tasks * campaign.classify_assignments,
        ),
    ]
    return Progress(
        lifecycle(campaign), campaign.get_state_display(), _latest_runs(campaign), answers
    )
