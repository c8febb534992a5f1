"""What a campaign will cost and how well its grids are controlled, before anything is
published (reads only): the campaign page and `campaign cost|status` show the same figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from catalogue.models import Image, LabelClass
from core.errors import MissingInput
from crowd.models import ClassifyTask, ContainsGrid, Hit
from crowd.mturk.client import live_mode
from crowd.mturk.costs import BatchCost, dollars
from crowd.mturk.publish import plan_publish
from pipeline.models import Campaign
from pipeline.rules import grids as grid_rules
from pipeline.stages import grids as grid_stage

LOCAL, SANDBOX, LIVE = "local", "sandbox", "live"
CROWDS = {
    LOCAL: "Local crowd (invite links)",
    SANDBOX: "Mechanical Turk sandbox",
    LIVE: "Mechanical Turk (live, real money)",
}


def crowd_of(campaign: Campaign) -> str:
    """Who answers: a campaign without an MTurk budget is a local crowd's (as the dashboard's
    costs read it); with one, MTurk in the environment this server publishes to."""
    if campaign.mturk_budget is None:
        return LOCAL
    return LIVE if live_mode() else SANDBOX


def grid_plan(campaign: Campaign) -> grid_rules.GridPlan:
    """The grids stage 2 would build now (pipeline.rules.grids), nothing stored. Before stage
    1, each image's potential labels are its dataset label alone (always one of them): the
    plan then shows the least the grids will need."""
    try:
        potential, dataset_labels, extra = grid_stage.load_inputs(campaign)
    except MissingInput:
        rows = Image.objects.filter(dataset_id=campaign.dataset_id).values_list("id", "label_id")
        dataset_labels = dict(rows)
        potential, extra = {i: [label] for i, label in dataset_labels.items()}, {}
    return grid_rules.build_grids(
        potential, dataset_labels, campaign.params, seed=campaign.seed, extra_controls=extra
    )


@dataclass(frozen=True)
class LabelCoverage:
    label_id: int
    wnid: str
    name: str
    controls: int  # the fewest controls any of its grids has
    images: int  # images of the dataset with this label (the pool controls come from)


@dataclass(frozen=True)
class Coverage:
    labels: int  # query labels of the grids
    short: list[LabelCoverage]  # labels whose grids have fewer than min_controls controls
    min_controls: int
    planned: bool  # True: from a plan (no grids stored yet)


def control_coverage(campaign: Campaign) -> Coverage:
    """Labels whose grids have fewer than the campaign's min_controls controls (stored grids,
    or the plan before they are built), fewest controls first."""
    fewest: dict[int, int] = {}
    stored = ContainsGrid.objects.filter(campaign=campaign)
    if stored.exists():
        counts = Counter()
        for grid_id, query_id, is_control in stored.values_list(
            "pk", "query_id", "items__is_control"
        ):
            counts[(grid_id, query_id)] += bool(is_control)
        for (_, query_id), n in counts.items():
            fewest[query_id] = min(n, fewest.get(query_id, n))
    else:
        for grid in grid_plan(campaign).grids:
            n = grid.n_controls
            fewest[grid.query_label] = min(n, fewest.get(grid.query_label, n))
    short_ids = [label for label, n in fewest.items() if n < campaign.min_controls]
    pools = dict(
        Image.objects.filter(dataset_id=campaign.dataset_id, label_id__in=short_ids)
        .order_by()
        .values("label_id")
        .annotate(n=Count("pk"))
        .values_list("label_id", "n")
    )
    names = LabelClass.objects.in_bulk(short_ids)
    short = [
        LabelCoverage(lid, names[lid].wnid, names[lid].name, fewest[lid], pools.get(lid, 0))
        for lid in short_ids
    ]
    short.sort(key=lambda row: (row.controls, row.wnid))
    return Coverage(len(fewest), short, campaign.min_controls, not stored.exists())


@dataclass(frozen=True)
class StageCost:
    kind: str  # "contains" or "classify"
    tasks: int  # tasks still to publish (grids, or CLASSIFY tasks)
    estimated: bool  # True: the tasks are not made yet (planned grids; at most one per image)
    at_least: BatchCost  # published with the minimum answers (adaptive), else the maximum
    at_most: BatchCost  # every task gets the maximum answers


@dataclass(frozen=True)
class CostEstimate:
    """What publishing the campaign's tasks would cost on MTurk (the `mturk publish` dry run's
    figures: rewards plus MTurk's fees), and what is spent and committed already."""

    crowd: str
    stages: list[StageCost]
    spent_and_committed: Decimal
    budget: Decimal | None

    @property
    def total_at_most(self) -> Decimal:
        return self.spent_and_committed + sum((s.at_most.total for s in self.stages), Decimal(0))

    @property
    def total_at_least(self) -> Decimal:
        return self.spent_and_committed + sum((s.at_least.total for s in self.stages), Decimal(0))

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.total_at_most > self.budget

    def lines(self) -> list[str]:
        out = [f"Crowd: {CROWDS[self.crowd]}"]
        if self.crowd == LOCAL:
            out.append("Local crowd: nobody is paid through MTurk; the figures below are what")
            out.append("the same tasks would cost there.")
        for s in self.stages:
            how = "estimated" if s.estimated else "made"
            c = s.at_most
            out.append(
                f"{s.kind.upper()}: {s.tasks} tasks ({how}), up to {c.max_assignments} answers "
                f"each at {dollars(c.reward)}: rewards {dollars(c.rewards)} + MTurk fee "
                f"({c.fee_rate * 100:.0f}%) {dollars(c.fees)} = {dollars(c.total)}"
            )
            if s.at_least.max_assignments != c.max_assignments:
                out.append(
                    f"  published with {s.at_least.max_assignments} answers each (adaptive): "
                    f"at least {dollars(s.at_least.total)}"
                )
        out.append(f"Already spent and committed: {dollars(self.spent_and_committed)}")
        total = f"Total: up to {dollars(self.total_at_most)}"
        if self.total_at_least != self.total_at_most:
            total += f" (at least {dollars(self.total_at_least)})"
        out.append(total)
        if self.budget is None:
            out.append("Budget: none set")
        elif self.over_budget:
            over = dollars(self.total_at_most - self.budget)
            out.append(f"Budget: {dollars(self.budget)}: OVER BUDGET by up to {over}")
        else:
            out.append(
                f"Budget: {dollars(self.budget)}, left: {dollars(self.budget - self.total_at_most)}"
            )
        return out


def _stage_cost(campaign: Campaign, kind: str, sandbox: bool) -> tuple[StageCost, Decimal]:
    most = getattr(campaign, f"{kind}_assignments")
    least = getattr(campaign, f"{kind}_min_assignments") or most
    reward = getattr(campaign, f"{kind}_reward")
    model = ContainsGrid if kind == Hit.Kind.CONTAINS else ClassifyTask
    if model.objects.filter(campaign=campaign).exists():
        plan = plan_publish(campaign, kind, sandbox=sandbox)
        tasks, estimated, spent = plan.cost.hits, False, plan.spent_and_committed
    elif kind == Hit.Kind.CONTAINS:
        tasks, estimated, spent = len(grid_plan(campaign).grids), True, Decimal(0)
    else:  # at most one CLASSIFY task per image of the dataset
        tasks, estimated = Image.objects.filter(dataset_id=campaign.dataset_id).count(), True
        spent = Decimal(0)
    cost = StageCost(
        kind, tasks, estimated, BatchCost(tasks, reward, least), BatchCost(tasks, reward, most)
    )
    return cost, spent


def cost_estimate(campaign: Campaign) -> CostEstimate:
    """The campaign's MTurk cost in the environment this server publishes to (sandbox unless
    FINELABEL_MTURK_LIVE): its tasks still to publish, planned ones before they exist."""
    sandbox = not live_mode()
    contains, spent = _stage_cost(campaign, Hit.Kind.CONTAINS, sandbox)
    classify, _ = _stage_cost(campaign, Hit.Kind.CLASSIFY, sandbox)  # spent: counted once
    return CostEstimate(crowd_of(campaign), [contains, classify], spent, campaign.mturk_budget)
