"""Adaptive collection and follow-up on Mechanical Turk: more assignments for a task's HIT.

The pipeline records how many answers each task is to have (pipeline.models.AnswerRequest,
pipeline.stages.adaptive); here every task whose HITs ask fewer assignments in all than its
target gets the difference. Its newest HIT gets CreateAdditionalAssignmentsForHIT
(crowd.mturk.review.extend_hit: a UniqueRequestToken per HIT and total, the budget checked
first, the call logged as an MTurkCall); a HIT that has left the market gets its expiration
pushed by the campaign's HIT lifetime, or the new assignments could not be taken.

MTurk does not let a HIT created with fewer than 10 assignments grow to 10 or more, so such a
HIT grows to 9 at most and the rest goes to a new HIT of the same HIT type and page
(CreateHITWithHITType, its token the task's and the HIT's number for the task). A worker who
answered the task on another of its HITs is refused by the page when they accept it
(crowd.hits.access) and at submit. The HITs' max_assignments record what was asked, so
running this again asks for nothing: never twice for the same answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from core.errors import FinelabelError
from crowd.models import Hit
from crowd.mturk.costs import LARGE_HIT_ASSIGNMENTS, assignment_cost
from crowd.mturk.gateway import MTurk
from crowd.mturk.hit_types import external_question, settings_for, task_url
from crowd.mturk.publish import create_hit, request_token, save_hit
from crowd.mturk.review import check_budget, extend_hit
from pipeline.models import Campaign
from pipeline.stages import adaptive


@dataclass
class ExtendReport:
    extended: dict[str, int] = field(default_factory=dict)  # HITId -> assignments added
    published: dict[str, int] = field(default_factory=dict)  # new HITId -> its assignments
    refused: str = ""  # why extending stopped (the budget), if it did

    @property
    def assignments(self) -> int:
        return sum(self.extended.values()) + sum(self.published.values())

    def __str__(self) -> str:
        text = f"{len(self.extended)} HITs extended by {sum(self.extended.values())} assignments"
        if self.published:
            text += (
                f"; {len(self.published)} more HITs published for "
                f"{sum(self.published.values())} assignments (MTurk grows no HIT past 9)"
            )
        if self.refused:
            text += f"; stopped: {self.refused}"
        return text


def growth(hit: Hit, missing: int) -> int:
    """How many of `missing` assignments the HIT may take: one under 10 stays under 10."""
    if hit.max_assignments < LARGE_HIT_ASSIGNMENTS:
        return min(missing, LARGE_HIT_ASSIGNMENTS - 1 - hit.max_assignments)
    return missing


def task_of(hit: Hit):
    return hit.grid if hit.kind == Hit.Kind.CONTAINS else hit.classify_task


def publish_another(mturk: MTurk, hits: list[Hit], assignments: int) -> Hit:
    """One more HIT for the task of `hits` (its HITs in this environment, oldest first): same
    HIT type and page, `assignments` assignments, within the budget."""
    last, task = hits[-1], task_of(hits[-1])
    check_budget(
        last.campaign,
        last.sandbox,
        assignments * assignment_cost(last.reward, assignments),
        f"a new HIT of {assignments} assignments",
    )
    s = settings_for(last.campaign)
    token = f"{request_token(last.kind, task)}-{len(hits) + 1}"
    hit = create_hit(
        mturk,
        token,
        HITTypeId=last.hit_type_id,
        MaxAssignments=assignments,
        LifetimeInSeconds=s.lifetime,
        Question=external_question(task_url(last.kind, task.public_id), s.frame_height),
    )
    asked = {"MaxAssignments": assignments, "Reward": last.reward}
    return save_hit(last.campaign, last.kind, task, last.sandbox, token, {**asked, **hit})


def extend_to_targets(mturk: MTurk, campaign: Campaign) -> ExtendReport:
    """Give every task of the campaign (its HITs in the client's environment) the assignments
    its HITs lack to reach its target (module docstring)."""
    report = ExtendReport()
    hits = Hit.objects.filter(campaign=campaign, sandbox=mturk.sandbox).select_related(
        "campaign", "grid", "classify_task"
    )
    by_task: dict[tuple[str, int], list[Hit]] = defaultdict(list)
    for hit in hits.order_by("pk"):
        by_task[hit.kind, hit.grid_id or hit.classify_task_id].append(hit)
    wanted = {kind: adaptive.targets(campaign, kind) for kind in adaptive.KINDS}
    lifetime = timedelta(seconds=settings_for(campaign).lifetime)
    for (kind, task), task_hits in by_task.items():
        missing = wanted[kind].get(task, 0) - sum(h.max_assignments for h in task_hits)
        if missing <= 0:
            continue
        last = task_hits[-1]
        grow = growth(last, missing)
        now = timezone.now()
        try:
            if grow:
                expire_at = now + lifetime if last.expiration <= now else None
                extend_hit(mturk, last, assignments=grow, expire_at=expire_at)
                report.extended[last.hit_id] = grow
            if missing > grow:
                new = publish_another(mturk, task_hits, missing - grow)
                report.published[new.hit_id] = missing - grow
        except FinelabelError as exc:  # over the budget, or MTurk refused: stop here
            report.refused = str(exc)
            break
    return report


def collect_more(mturk: MTurk, campaign: Campaign) -> int:
    """After a sync: weigh the confirmed answers of an adaptive campaign and extend its
    unsettled HITs (none in the fixed design); the assignments added."""
    if not any(adaptive.is_adaptive(campaign, kind) for kind in adaptive.KINDS):
        return 0
    for kind in adaptive.KINDS:
        adaptive.review(campaign, kind)
    return extend_to_targets(mturk, campaign).assignments
