"""Sync: the assignments MTurk holds for our open HITs, reconciled with the answers our server
received. Answers without an MTurk assignment and MTurk assignments without an answer are both
reported; statuses follow MTurk's."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crowd.models import Assignment, Hit, Worker
from crowd.mturk.gateway import MTurk
from pipeline.models import Campaign

MTURK_STATUS = {
    "Submitted": Assignment.Status.SUBMITTED,
    "Approved": Assignment.Status.APPROVED,
    "Rejected": Assignment.Status.REJECTED,
}
CLOSED = {"Reviewable", "Disposed"}


@dataclass
class SyncReport:
    hits: int = 0
    listed: int = 0
    updated: int = 0
    closed: int = 0
    # (HITId, AssignmentId): answers our server stored that MTurk does not list as submitted.
    answers_without_assignment: list[tuple[str, str]] = field(default_factory=list)
    # (HITId, AssignmentId): assignments submitted on MTurk whose answer never reached us.
    assignments_without_answer: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"HITs synced: {self.hits} ({self.closed} now closed and reviewed)",
            f"MTurk assignments listed: {self.listed}; statuses updated: {self.updated}",
            f"Answers without an MTurk assignment: {len(self.answers_without_assignment)}",
        ]
        out += [f"  HIT {h} assignment {a}" for h, a in self.answers_without_assignment]
        out.append(f"MTurk assignments without an answer: {len(self.assignments_without_answer)}")
        out += [f"  HIT {h} assignment {a}" for h, a in self.assignments_without_answer]
        return out


def open_hits(campaign: Campaign, *, sandbox: bool):
    return Hit.objects.filter(campaign=campaign, sandbox=sandbox, done=False).select_related(
        "campaign"
    )


def sync_campaign(mturk: MTurk, campaign: Campaign) -> SyncReport:
    """Sync every open HIT of the campaign in the client's environment."""
    report = SyncReport()
    for hit in open_hits(campaign, sandbox=mturk.sandbox).order_by("pk"):
        sync_hit(mturk, hit, report)
    return report


def sync_hit(mturk: MTurk, hit: Hit, report: SyncReport) -> None:
    info = mturk.call("GetHIT", HITId=hit.hit_id)["HIT"]
    listed = list(
        mturk.pages(
            "ListAssignmentsForHIT",
            "Assignments",
            HITId=hit.hit_id,
            MaxResults=100,
            AssignmentStatuses=list(MTURK_STATUS),
        )
    )
    report.hits += 1
    report.listed += len(listed)
    with transaction.atomic():
        ours = {
            a.external_id: a
            for a in task_assignments(hit).select_related("contains_answer", "classify_answer")
        }
        for item in listed:
            report.updated += reconcile(hit, item, ours.get(item["AssignmentId"]), report)
        listed_ids = {item["AssignmentId"] for item in listed}
        for external_id, a in sorted(ours.items()):
            if external_id not in listed_ids and has_answer(a):
                report.answers_without_assignment.append((hit.hit_id, external_id))
        reviewed = all(item["AssignmentStatus"] != "Submitted" for item in listed)
        hit.status = info["HITStatus"]
        hit.expiration = info["Expiration"]
        hit.max_assignments = info.get("MaxAssignments", hit.max_assignments)
        hit.done = (
            hit.status in CLOSED and info.get("NumberOfAssignmentsPending", 0) == 0 and reviewed
        )
        hit.synced_at = timezone.now()
        hit.save(update_fields=["status", "expiration", "max_assignments", "done", "synced_at"])
        report.closed += hit.done


def task_assignments(hit: Hit):
    """Our MTurk assignments of the HIT's task: those tied to this HIT, or not tied yet."""
    task = Q(grid=hit.grid) if hit.kind == Hit.Kind.CONTAINS else Q(classify_task=hit.classify_task)
    return Assignment.objects.filter(
        task,
        Q(hit_id=hit.hit_id) | Q(hit_id=""),
        campaign=hit.campaign,
        external_id__isnull=False,
        worker__source=Worker.Source.MTURK,
    )


def has_answer(a: Assignment) -> bool:
    return hasattr(a, "contains_answer") or hasattr(a, "classify_answer")


def reconcile(hit: Hit, item: dict, ours: Assignment | None, report: SyncReport) -> bool:
    """Bring our assignment in line with MTurk's; an assignment we never heard of gets a row
    (no answer) so that what it costs is counted. True when something changed."""
    status = MTURK_STATUS[item["AssignmentStatus"]]
    reviewed_at = item.get("ApprovalTime") or item.get("RejectionTime")
    if ours is None:
        worker, _ = Worker.objects.get_or_create(
            source=Worker.Source.MTURK, external_id=item["WorkerId"]
        )
        ours = Assignment.objects.create(
            campaign=hit.campaign,
            kind=hit.kind,
            grid=hit.grid,
            classify_task=hit.classify_task,
            worker=worker,
            external_id=item["AssignmentId"],
            hit_id=hit.hit_id,
            status=status,
            submitted_at=item.get("SubmitTime"),
            reviewed_at=reviewed_at,
        )
        report.assignments_without_answer.append((hit.hit_id, item["AssignmentId"]))
        return True
    if not has_answer(ours):
        report.assignments_without_answer.append((hit.hit_id, item["AssignmentId"]))
    changed = ours.status != status or ours.hit_id != hit.hit_id
    if changed:
        ours.status = status
        ours.hit_id = hit.hit_id
        ours.submitted_at = ours.submitted_at or item.get("SubmitTime")
        ours.reviewed_at = reviewed_at or ours.reviewed_at
        ours.save(update_fields=["status", "hit_id", "submitted_at", "reviewed_at"])
    return changed
