"""Money spent and committed by a campaign, from its assignments and rewards, MTurk's fee
included (annotation.mturk.costs: 20%, 40% for tasks of 10 or more assignments). Bonuses and
the per-HIT ledger are on the campaign's admin page (annotation.mturk.selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from annotation.models import Assignment, Campaign, ClassifyTask, ContainsGrid
from annotation.mturk.costs import assignment_cost


@dataclass(frozen=True)
class KindCost:
    kind: str
    reward: Decimal
    unit_cost: Decimal  # reward plus MTurk's fee for one paid assignment
    planned: int  # assignments the campaign needs: tasks x assignments per task
    approved: int
    pending: int  # accepted or submitted, not yet reviewed
    rejected: int

    @property
    def spent(self) -> Decimal:
        return self.unit_cost * self.approved

    @property
    def committed(self) -> Decimal:
        """Owed or still to be paid for the planned work: the work under way, or what remains
        of the plan, whichever is more."""
        return self.unit_cost * max(self.planned - self.approved, self.pending, 0)


@dataclass(frozen=True)
class Costs:
    kinds: list[KindCost]

    @property
    def spent(self) -> Decimal:
        return sum((k.spent for k in self.kinds), Decimal("0"))

    @property
    def committed(self) -> Decimal:
        return sum((k.committed for k in self.kinds), Decimal("0"))


def campaign_costs(campaign: Campaign) -> Costs:
    """Spent = reward x approved assignments; committed = reward x the planned assignments not
    yet approved (at least those under way). Rejected assignments are not paid."""
    counts: dict[tuple[str, str], int] = {
        (kind, status): n
        for kind, status, n in Assignment.objects.filter(campaign=campaign)
        .values("kind", "status")
        .annotate(n=Count("id"))
        .values_list("kind", "status", "n")
    }
    S = Assignment.Status
    plans = {
        Assignment.Kind.CONTAINS: (
            campaign.contains_reward,
            ContainsGrid.objects.filter(campaign=campaign).count(),
            campaign.contains_assignments,
        ),
        Assignment.Kind.CLASSIFY: (
            campaign.classify_reward,
            ClassifyTask.objects.filter(campaign=campaign).count(),
            campaign.classify_assignments,
        ),
    }
    kinds = []
    for kind, (reward, tasks, per_task) in plans.items():
        kinds.append(
            KindCost(
                kind=kind.label,
                reward=Decimal(reward),
                unit_cost=assignment_cost(Decimal(reward), per_task),
                planned=tasks * per_task,
                approved=counts.get((kind, S.APPROVED), 0),
                pending=counts.get((kind, S.SUBMITTED), 0) + counts.get((kind, S.ACCEPTED), 0),
                rejected=counts.get((kind, S.REJECTED), 0),
            )
        )
    return Costs(kinds)
