"""Reads for the admin and the dashboard: per campaign, HITs published, assignments done, money
spent and committed, and the projected total. Counting happens in the database (GROUP BY)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from crowd.models import (
    Assignment,
    Bonus,
    ClassifyAnswer,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    Hit,
    Verification,
    Worker,
)
from crowd.mturk.client import live_mode
from crowd.mturk.costs import BatchCost, assignment_cost, bonus_cost
from crowd.mturk.hit_types import assignments_of, reward_of
from pipeline.models import Campaign

DONE = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)


@dataclass(frozen=True)
class StageSummary:
    """One stage's (CONTAINS or CLASSIFY) MTurk figures in one environment. Money in USD,
    Decimal, MTurk's fees included. `committed` is what its published HITs may still cost;
    `unpublished_cost` what its tasks not published yet will cost at the campaign's reward and
    assignments per task (and the fee that goes with them)."""

    kind: str
    reward: Decimal  # the campaign's reward, for the tasks still to publish
    per_task: int  # the campaign's assignments per task
    hits: int = 0
    assignments_max: int = 0  # assignments the published HITs may take
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    spent_rewards: Decimal = Decimal(0)
    spent_bonuses: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    unpublished: int = 0  # tasks with no HIT yet

    @property
    def label(self) -> str:
        return Hit.Kind(self.kind).label

    @property
    def unit_cost(self) -> Decimal:
        """One paid assignment of a task still to publish, fee included."""
        return assignment_cost(self.reward, self.per_task)

    @property
    def to_publish(self) -> BatchCost:
        return BatchCost(self.unpublished, self.reward, self.per_task)

    @property
    def unpublished_assignments(self) -> int:
        return self.to_publish.assignments

    @property
    def unpublished_cost(self) -> Decimal:
        return self.to_publish.total

    @property
    def assignments_expected(self) -> int:
        """The published HITs' assignments plus those of the tasks still to publish."""
        return self.assignments_max + self.unpublished_assignments

    @property
    def assignments_done(self) -> int:
        return self.submitted + self.approved + self.rejected

    @property
    def spent(self) -> Decimal:
        return self.spent_rewards + self.spent_bonuses

    @property
    def projected_total(self) -> Decimal:
        return self.spent + self.committed + self.unpublished_cost


@dataclass(frozen=True)
class MTurkSummary:
    """The campaign's figures in one environment, per stage (`stages`, in Hit.Kind order) and
    in total. Money in USD, Decimal. `committed` is what published HITs may still cost;
    `projected_total` adds the tasks of the campaign not published yet."""

    sandbox: bool
    budget: Decimal | None
    stages: dict[str, StageSummary] = field(default_factory=dict)

    def _sum(self, attr: str, zero=0):
        return sum((getattr(s, attr) for s in self.stages.values()), zero)

    @property
    def hits(self) -> dict[str, int]:
        return {k: s.hits for k, s in self.stages.items()}

    @property
    def unpublished(self) -> dict[str, int]:
        return {k: s.unpublished for k, s in self.stages.items()}

    @property
    def hits_published(self) -> int:
        return self._sum("hits")

    @property
    def hits_unpublished(self) -> int:
        return self._sum("unpublished")

    @property
    def assignments_max(self) -> int:
        return self._sum("assignments_max")

    @property
    def assignments_expected(self) -> int:
        return self._sum("assignments_expected")

    @property
    def submitted(self) -> int:
        return self._sum("submitted")

    @property
    def approved(self) -> int:
        return self._sum("approved")

    @property
    def rejected(self) -> int:
        return self._sum("rejected")

    @property
    def assignments_done(self) -> int:
        return self.submitted + self.approved + self.rejected

    @property
    def spent_rewards(self) -> Decimal:
        return self._sum("spent_rewards", Decimal(0))

    @property
    def spent_bonuses(self) -> Decimal:
        return self._sum("spent_bonuses", Decimal(0))

    @property
    def committed(self) -> Decimal:
        return self._sum("committed", Decimal(0))

    @property
    def unpublished_cost(self) -> Decimal:
        return self._sum("unpublished_cost", Decimal(0))

    @property
    def spent(self) -> Decimal:
        return self.spent_rewards + self.spent_bonuses

    @property
    def spent_and_committed(self) -> Decimal:
        return self.spent + self.committed

    @property
    def projected_total(self) -> Decimal:
        return self.spent + self.committed + self.unpublished_cost

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent_and_committed


def counted_assignments():
    """Assignments that may cost money: those whose answer MTurk confirmed, and those MTurk
    listed without an answer; not the answers still waiting for MTurk, nor those it did not
    confirm (anyone can give one under invented ids)."""
    waiting = [Verification.PENDING, Verification.UNCONFIRMED]
    return Assignment.objects.exclude(contains_answer__verification__in=waiting).exclude(
        classify_answer__verification__in=waiting
    )


def unpublished_tasks(campaign: Campaign, kind: str, *, sandbox: bool):
    """Grids or CLASSIFY tasks of the campaign with no HIT yet in this environment."""
    if kind == Hit.Kind.CONTAINS:
        published = Exists(Hit.objects.filter(sandbox=sandbox, grid=OuterRef("pk")))
        return ContainsGrid.objects.filter(campaign=campaign).exclude(published).order_by("number")
    published = Exists(Hit.objects.filter(sandbox=sandbox, classify_task=OuterRef("pk")))
    return ClassifyTask.objects.filter(campaign=campaign).exclude(published).order_by("pk")


def local_answers(campaign: Campaign, kind: str) -> tuple[int, int]:
    """(answers, tasks): the answers of the local or simulated crowd already stored on the
    campaign's grids (CONTAINS) or CLASSIFY tasks, and how many tasks hold them."""
    if kind == Hit.Kind.CONTAINS:
        answers, task = ContainsAnswer.objects.filter(grid__campaign=campaign), "grid"
    else:
        answers, task = ClassifyAnswer.objects.filter(task__campaign=campaign), "task"
    figures = answers.exclude(worker__source=Worker.Source.MTURK).aggregate(
        answers=Count("id"), tasks=Count(task, distinct=True)
    )
    return figures["answers"], figures["tasks"]


def mturk_summary(campaign: Campaign, *, sandbox: bool | None = None) -> MTurkSummary:
    """The campaign's MTurk figures in one environment (the current one by default), per
    stage: five aggregate queries whatever the campaign's size."""
    if sandbox is None:
        sandbox = not live_mode()
    now = timezone.now()
    figures: dict[str, dict] = {
        kind: {
            "hits": 0,
            "assignments_max": 0,
            "committed": Decimal(0),
            "spent_rewards": Decimal(0),
            "spent_bonuses": Decimal(0),
            **{s: 0 for s in DONE},
        }
        for kind in Hit.Kind.values
    }
    hits = Hit.objects.filter(campaign=campaign, sandbox=sandbox)
    # Open HITs may still fill every assignment; those on the market no more, only the
    # submitted ones still waiting for review (added below).
    for row in (
        hits.annotate(open=ExpressionWrapper(Q(expiration__gt=now), output_field=BooleanField()))
        .values("kind", "reward", "max_assignments", "open")
        .annotate(n=Count("id"), slots=Sum("max_assignments"))
    ):
        f = figures[row["kind"]]
        f["hits"] += row["n"]
        f["assignments_max"] += row["slots"]
        if row["open"]:
            f["committed"] += row["slots"] * assignment_cost(row["reward"], row["max_assignments"])

    of_hit = Hit.objects.filter(sandbox=sandbox, hit_id=OuterRef("hit_id"))
    for row in (
        counted_assignments()
        .filter(campaign=campaign, hit_id__in=hits.values("hit_id"))
        .annotate(
            reward=Subquery(of_hit.values("reward")[:1]),
            max_assignments=Subquery(of_hit.values("max_assignments")[:1]),
            hit_expiration=Subquery(of_hit.values("expiration")[:1]),
        )
        .annotate(open=ExpressionWrapper(Q(hit_expiration__gt=now), output_field=BooleanField()))
        .values("kind", "status", "reward", "max_assignments", "open")
        .annotate(n=Count("id"))
    ):
        f = figures[row["kind"]]
        unit = assignment_cost(row["reward"], row["max_assignments"])
        status, n = row["status"], row["n"]
        if status in DONE:
            f[status] += n
        if status == Assignment.Status.APPROVED:
            f["spent_rewards"] += n * unit
        if row["open"] and status in (Assignment.Status.APPROVED, Assignment.Status.REJECTED):
            f["committed"] -= n * unit  # paid already, or never to be paid
        if not row["open"] and status == Assignment.Status.SUBMITTED:
            f["committed"] += n * unit

    for kind, amount in Bonus.objects.filter(
        campaign=campaign, sandbox=sandbox, sent_at__isnull=False
    ).values_list("assignment__kind", "amount"):
        figures[kind]["spent_bonuses"] += bonus_cost(amount)

    stages = {}
    for kind, f in figures.items():
        stages[kind] = StageSummary(
            kind=kind,
            reward=Decimal(reward_of(campaign, kind)),
            per_task=assignments_of(campaign, kind),
            hits=f["hits"],
            assignments_max=f["assignments_max"],
            submitted=f[Assignment.Status.SUBMITTED],
            approved=f[Assignment.Status.APPROVED],
            rejected=f[Assignment.Status.REJECTED],
            spent_rewards=f["spent_rewards"],
            spent_bonuses=f["spent_bonuses"],
            committed=f["committed"],
            unpublished=unpublished_tasks(campaign, kind, sandbox=sandbox).count(),
        )
    return MTurkSummary(sandbox=sandbox, budget=campaign.mturk_budget, stages=stages)
