"""Publishing a stage: one HIT per grid (CONTAINS) or per task (CLASSIFY), within the budget,
each created with our task id as UniqueRequestToken so that a retry never publishes twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core.errors import FinelabelError
from crowd.models import ClassifyTask, ContainsGrid, Hit
from crowd.mturk.costs import BatchCost, dollars
from crowd.mturk.gateway import MTurk, MTurkError
from crowd.mturk.hit_types import (
    assignments_of,
    external_question,
    hit_type_params,
    reward_of,
    settings_for,
    task_url,
)
from crowd.mturk.selectors import mturk_summary, unpublished_tasks
from pipeline.models import Campaign

Task = ContainsGrid | ClassifyTask


class PublishRefused(FinelabelError):
    """Publishing would break a rule (budget, balance); nothing was published."""


@dataclass
class PublishPlan:
    """What publishing a stage would do and cost, before any call to MTurk."""

    campaign: Campaign
    kind: str
    sandbox: bool
    tasks: Sequence[Task]
    already_published: int
    cost: BatchCost
    spent_and_committed: Decimal
    budget: Decimal | None

    @property
    def total_after(self) -> Decimal:
        return self.spent_and_committed + self.cost.total

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.total_after > self.budget

    def describe(self) -> list[str]:
        c = self.cost
        lines = [
            f"{self.kind.upper()} HITs of campaign {self.campaign.name!r} "
            f"({'sandbox' if self.sandbox else 'LIVE'})",
            f"HITs to publish: {c.hits} ({self.already_published} already published)",
            f"Assignments: {c.assignments} ({c.max_assignments} per HIT, "
            f"reward {dollars(c.reward)} each)",
            f"Rewards: {dollars(c.rewards)}",
            f"MTurk fee ({c.fee_rate * 100:.0f}%): {dollars(c.fees)}",
            f"Total cost: {dollars(c.total)}",
            f"Already spent and committed: {dollars(self.spent_and_committed)}",
        ]
        if self.budget is None:
            lines.append("Budget: none set")
        else:
            left = self.budget - self.total_after
            lines.append(
                f"Budget: {dollars(self.budget)}; "
                + (
                    f"left after publishing: {dollars(left)}"
                    if left >= 0
                    else f"OVER BUDGET by {dollars(-left)}: publishing is refused"
                )
            )
        return lines


def plan_publish(
    campaign: Campaign, kind: str, *, sandbox: bool, limit: int | None = None
) -> PublishPlan:
    """The tasks of `kind` not published yet in this environment (at most `limit`), with the
    cost of publishing them and the budget check."""
    if kind not in Hit.Kind.values:
        raise ValueError(f"Unknown stage {kind!r}: use one of {', '.join(Hit.Kind.values)}.")
    pending = unpublished_tasks(campaign, kind, sandbox=sandbox)
    tasks = list(pending[:limit] if limit else pending)
    published = Hit.objects.filter(campaign=campaign, kind=kind, sandbox=sandbox).count()
    return PublishPlan(
        campaign=campaign,
        kind=kind,
        sandbox=sandbox,
        tasks=tasks,
        already_published=published,
        cost=BatchCost(len(tasks), reward_of(campaign, kind), assignments_of(campaign, kind)),
        spent_and_committed=mturk_summary(campaign, sandbox=sandbox).spent_and_committed,
        budget=campaign.mturk_budget,
    )


def account_balance(mturk: MTurk) -> Decimal:
    """The requester's available balance (the sandbox always shows $10,000.00)."""
    return Decimal(mturk.call("GetAccountBalance")["AvailableBalance"])


def check_publishable(plan: PublishPlan, balance: Decimal | None = None) -> None:
    """Refuse before any HIT is created: a paused or closed campaign, over the budget, no
    budget on the live market, or more than the account holds."""
    if plan.campaign.closed_at is not None or plan.campaign.paused_at is not None:
        state = "closed" if plan.campaign.closed_at is not None else "paused"
        raise PublishRefused(f"Campaign {plan.campaign.name!r} is {state}: nothing is published.")
    if plan.over_budget:
        raise PublishRefused(
            f"Budget cap of {dollars(plan.budget)} would be exceeded: "
            f"{dollars(plan.spent_and_committed)} spent and committed + "
            f"{dollars(plan.cost.total)} for {plan.cost.hits} HITs = {dollars(plan.total_after)}."
        )
    if not plan.sandbox and plan.budget is None:
        raise PublishRefused("Set the campaign's MTurk budget before publishing on live MTurk.")
    if balance is not None and balance < plan.cost.total:
        raise PublishRefused(
            f"The account holds {dollars(balance)}, publishing needs {dollars(plan.cost.total)}."
        )


def request_token(kind: str, task: Task) -> str:
    """Our task id as MTurk's UniqueRequestToken (at most 64 characters)."""
    return f"{kind}-{task.public_id}"


def is_repeated_token(error: MTurkError) -> bool:
    text = error.message.lower()
    return error.code == "RequestError" and (
        "idempotency token" in text or "uniquerequesttoken" in text or "already" in text
    )


def find_hit_by_token(mturk: MTurk, token: str) -> dict | None:
    """The HIT an earlier call created with `token`: we store the token as its
    RequesterAnnotation, so ListHITs finds it."""
    for hit in mturk.pages("ListHITs", "HITs", MaxResults=100):
        if hit.get("RequesterAnnotation") == token:
            return hit
    return None


def create_hit(mturk: MTurk, token: str, **params: Any) -> dict:
    """CreateHITWithHITType with `token` as its UniqueRequestToken and annotation; when MTurk
    says the token was used, the HIT that first call created."""
    try:
        return mturk.call(
            "CreateHITWithHITType", RequesterAnnotation=token, UniqueRequestToken=token, **params
        )["HIT"]
    except MTurkError as exc:
        if not is_repeated_token(exc):
            raise
        hit = find_hit_by_token(mturk, token)
        if hit is None:
            raise
        return hit


def publish(
    mturk: MTurk,
    plan: PublishPlan,
    *,
    balance: Decimal | None = None,
    progress: Callable[[int], Any] | None = None,
) -> list[Hit]:
    """Create the HIT type, then one HIT per task of the plan, storing each HIT as soon as
    MTurk returns it: a crash loses nothing, and a re-run skips what is stored and, through
    the token, whatever MTurk created but we did not store."""
    if plan.sandbox != mturk.sandbox:
        raise PublishRefused("The plan and the MTurk client are for different environments.")
    check_publishable(plan, balance)
    if not plan.tasks:
        return []
    frame_height = settings_for(plan.campaign).frame_height
    questions = [
        external_question(task_url(plan.kind, t.public_id), frame_height) for t in plan.tasks
    ]
    hit_type_id = mturk.call("CreateHITType", **hit_type_params(plan.campaign, plan.kind))[
        "HITTypeId"
    ]
    lifetime = settings_for(plan.campaign).lifetime
    stored = []
    for task, question in zip(plan.tasks, questions, strict=True):
        token = request_token(plan.kind, task)
        hit = create_hit(
            mturk,
            token,
            HITTypeId=hit_type_id,
            MaxAssignments=plan.cost.max_assignments,
            LifetimeInSeconds=lifetime,
            Question=question,
        )
        stored.append(store_hit(plan, task, token, hit))
        if progress:
            progress(1)
    return stored


def store_hit(plan: PublishPlan, task: Task, token: str, hit: dict) -> Hit:
    asked = {"MaxAssignments": plan.cost.max_assignments, "Reward": plan.cost.reward}
    return save_hit(plan.campaign, plan.kind, task, plan.sandbox, token, {**asked, **hit})


def save_hit(
    campaign: Campaign, kind: str, task: Task, sandbox: bool, token: str, hit: dict
) -> Hit:
    """Store (or update) the HIT MTurk returned for `task`."""
    contains = kind == Hit.Kind.CONTAINS
    obj, _ = Hit.objects.update_or_create(
        hit_id=hit["HITId"],
        defaults={
            "campaign": campaign,
            "kind": kind,
            "grid": task if contains else None,
            "classify_task": None if contains else task,
            "sandbox": sandbox,
            "hit_type_id": hit["HITTypeId"],
            "unique_request_token": token,
            "max_assignments": hit["MaxAssignments"],
            "reward": Decimal(hit["Reward"]),
            "status": hit.get("HITStatus", "Assignable"),
            "created": hit.get("CreationTime") or timezone.now(),
            "expiration": hit["Expiration"],
        },
    )
    return obj
