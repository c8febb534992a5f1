"""Adaptive collection and follow-up on Mechanical Turk: more assignments on the same HIT.

The pipeline records how many answers each task is to have (pipeline.models.AnswerRequest,
pipeline.stages.adaptive); here every HIT whose MaxAssignments is below its task's target
gets CreateAdditionalAssignmentsForHIT for the difference (crowd.mturk.review.extend_hit: a
UniqueRequestToken per HIT and total, the budget checked first, the call logged as an
MTurkCall). The HIT's max_assignments then records what was asked, so running this again
asks for nothing: never twice for the same answers. A HIT that has left the market gets its
expiration pushed by the campaign's HIT lifetime, or the new assignments could not be taken.

MTurk does not let a HIT grow from fewer than 10 assignments to 10 or more, so such a HIT
is extended to 9 at most (reported as `capped`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from core.errors import FinelabelError
from crowd.models import Hit
from crowd.mturk.costs import LARGE_HIT_ASSIGNMENTS
from crowd.mturk.gateway import MTurk
from crowd.mturk.hit_types import settings_for
from crowd.mturk.review import extend_hit
from pipeline.models import Campaign
from pipeline.stages import adaptive


@dataclass
class ExtendReport:
    extended: dict[str, int] = field(default_factory=dict)  # HITId -> assignments added
    capped: list[str] = field(default_factory=list)  # HITs MTurk will not grow past 9
    refused: str = ""  # why extending stopped (the budget), if it did

    def __str__(self) -> str:
        text = f"{len(self.extended)} HITs extended by {sum(self.extended.values())} assignments"
        if self.capped:
            text += f"; {len(self.capped)} HITs kept under 10 assignments (MTurk's rule)"
        if self.refused:
            text += f"; stopped: {self.refused}"
        return text


def reachable(hit: Hit, target: int) -> int:
    """The most assignments the HIT may be extended to on the way to `target`."""
    if hit.max_assignments < LARGE_HIT_ASSIGNMENTS <= target:
        return LARGE_HIT_ASSIGNMENTS - 1
    return target


def extend_to_targets(mturk: MTurk, campaign: Campaign) -> ExtendReport:
    """Extend every HIT of the campaign (in the client's environment) below its task's target."""
    report = ExtendReport()
    hits = Hit.objects.filter(campaign=campaign, sandbox=mturk.sandbox).order_by("pk")
    wanted = {kind: adaptive.targets(campaign, kind) for kind in adaptive.KINDS}
    lifetime = timedelta(seconds=settings_for(campaign).lifetime)
    for hit in hits:
        task = hit.grid_id if hit.kind == Hit.Kind.CONTAINS else hit.classify_task_id
        target = wanted[hit.kind].get(task, 0)
        reach = reachable(hit, target)
        if reach < target:
            report.capped.append(hit.hit_id)
        if reach <= hit.max_assignments:
            continue
        added = reach - hit.max_assignments
        now = timezone.now()
        expire_at = now + lifetime if hit.expiration <= now else None
        try:
            extend_hit(mturk, hit, assignments=added, expire_at=expire_at)
        except FinelabelError as exc:  # over the budget, or MTurk refused: stop here
            report.refused = str(exc)
            break
        report.extended[hit.hit_id] = added
    return report


def collect_more(mturk: MTurk, campaign: Campaign) -> int:
    """After a sync: weigh the confirmed answers of an adaptive campaign and extend its
    unsettled HITs (none in the fixed design); the assignments added."""
    if not any(adaptive.is_adaptive(campaign, kind) for kind in adaptive.KINDS):
        return 0
    for kind in adaptive.KINDS:
        adaptive.review(campaign, kind)
    return sum(extend_to_targets(mturk, campaign).extended.values())
