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

from annotation.models import Assignment, Bonus, Campaign, ClassifyTask, ContainsGrid, Hit

from .client import live_mode
from .costs import BatchCost, assignment_cost, bonus_cost
from .hit_types import assignments_of, reward_of

DONE = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)


@dataclass(frozen=True)
class MTurkSummary:
    """Money in USD, Decimal. `committed` is what published HITs may still cost; `projected`
    adds the tasks of the campaign not published yet."""

    sandbox: bool
    budget: Decimal | None
    hits: dict[str, int] = field(default_factory=dict)
    assignments_max: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    spent_rewards: Decimal = Decimal(0)
    spent_bonuses: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    unpublished: dict[str, int] = field(default_factory=dict)
    unpublished_cost: Decimal = Decimal(0)

    @property
    def hits_published(self) -> int:
        return sum(self.hits.values())

    @property
    def assignments_done(self) -> int:
        return self.submitted + self.approved + self.rejected

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


def unpublished_tasks(campaign: Campaign, kind: str, *, sandbox: bool):
    """Grids or CLASSIFY tasks of the campaign with no HIT yet in this environment."""
    if kind == Hit.Kind.CONTAINS:
        published = Exists(Hit.objects.filter(sandbox=sandbox, grid=OuterRef("pk")))
        return ContainsGrid.objects.filter(campaign=campaign).exclude(published).order_by("number")
    published = Exists(Hit.objects.filter(sandbox=sandbox, classify_task=OuterRef("pk")))
    return ClassifyTask.objects.filter(campaign=campaign).exclude(published).order_by("pk")


def mturk_summary(campaign: Campaign, *, sandbox: bool | None = None) -> MTurkSummary:
    """The campaign's MTurk figures in one environment (the current one by default)."""
    if sandbox is None:
        sandbox = not live_mode()
    now = timezone.now()
    hits = Hit.objects.filter(campaign=campaign, sandbox=sandbox)
    hit_counts: dict[str, int] = {}
    assignments_max = 0
    committed = Decimal(0)
    # Open HITs may still fill every assignment; those on the market no more, only the
    # submitted ones still waiting for review (added below).
    for row in (
        hits.annotate(open=ExpressionWrapper(Q(expiration__gt=now), output_field=BooleanField()))
        .values("kind", "reward", "max_assignments", "open")
        .annotate(n=Count("id"), slots=Sum("max_assignments"))
    ):
        hit_counts[row["kind"]] = hit_counts.get(row["kind"], 0) + row["n"]
        assignments_max += row["slots"]
        if row["open"]:
            committed += row["slots"] * assignment_cost(row["reward"], row["max_assignments"])

    of_hit = Hit.objects.filter(sandbox=sandbox, hit_id=OuterRef("hit_id"))
    counts = {s: 0 for s in DONE}
    spent_rewards = Decimal(0)
    for row in (
        Assignment.objects.filter(campaign=campaign, hit_id__in=hits.values("hit_id"))
        .annotate(
            reward=Subquery(of_hit.values("reward")[:1]),
            max_assignments=Subquery(of_hit.values("max_assignments")[:1]),
            hit_expiration=Subquery(of_hit.values("expiration")[:1]),
        )
        .annotate(open=ExpressionWrapper(Q(hit_expiration__gt=now), output_field=BooleanField()))
        .values("status", "reward", "max_assignments", "open")
        .annotate(n=Count("id"))
    ):
        unit = assignment_cost(row["reward"], row["max_assignments"])
        status, n = row["status"], row["n"]
        if status in counts:
            counts[status] += n
        if status == Assignment.Status.APPROVED:
            spent_rewards += n * unit
        if row["open"] and status in (Assignment.Status.APPROVED, Assignment.Status.REJECTED):
            committed -= n * unit  # paid already, or never to be paid
        if not row["open"] and status == Assignment.Status.SUBMITTED:
            committed += n * unit

    spent_bonuses = sum(
        (
            bonus_cost(b)
            for b in Bonus.objects.filter(
                campaign=campaign, sandbox=sandbox, sent_at__isnull=False
            ).values_list("amount", flat=True)
        ),
        Decimal(0),
    )
    unpublished: dict[str, int] = {}
    unpublished_cost = Decimal(0)
    for kind in Hit.Kind.values:
        n = unpublished_tasks(campaign, kind, sandbox=sandbox).count()
        unpublished[kind] = n
        unpublished_cost += BatchCost(
            n, reward_of(campaign, kind), assignments_of(campaign, kind)
        ).total
    return MTurkSummary(
        sandbox=sandbox,
        budget=campaign.mturk_budget,
        hits=hit_counts,
        assignments_max=assignments_max,
        submitted=counts[Assignment.Status.SUBMITTED],
        approved=counts[Assignment.Status.APPROVED],
        rejected=counts[Assignment.Status.REJECTED],
        spent_rewards=spent_rewards,
        spent_bonuses=spent_bonuses,
        committed=committed,
        unpublished=unpublished,
        unpublished_cost=unpublished_cost,
    )
