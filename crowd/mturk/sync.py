"""Sync: the assignments MTurk holds for our open HITs, reconciled with the answers our server
received. Answers without an MTurk assignment and MTurk assignments without an answer are both
reported; statuses follow MTurk's.

The sync is also where MTurk answers become verified (crowd.models.Verification). A HIT page's
MTurk parameters are not signed, so an answer given through them is stored pending; it is
confirmed when ListAssignmentsForHIT returns that worker's submitted assignment of that HIT
(and, when the assignment's Answer names the answer the page handed in with it, that answer).
Only then does it count for quality control, frequencies, aggregation and payment. A pending
answer is marked unconfirmed when MTurk gives its assignment to another worker, names another
answer, or when the HIT has closed with nothing pending and never listed it. An answer given
first under a real worker's id therefore never displaces the real one: the one MTurk lists is
confirmed, the other is not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from crowd.models import Assignment, ClassifyAnswer, ContainsAnswer, Hit, Verification, Worker
from crowd.mturk.gateway import MTurk
from pipeline.models import Campaign

MTURK_STATUS = {
    "Submitted": Assignment.Status.SUBMITTED,
    "Approved": Assignment.Status.APPROVED,
    "Rejected": Assignment.Status.REJECTED,
}
CLOSED = {"Reviewable", "Disposed"}
# The answer id the HIT page posts to MTurk with the assignment (crowd/static/hits/hit.js,
# externalSubmit's "answer" field), as MTurk returns it in the assignment's Answer
# (QuestionFormAnswers XML). Read with a pattern, not an XML parser: one number is needed.
HANDED_IN = re.compile(
    r"<QuestionIdentifier>\s*answer\s*</QuestionIdentifier>\s*<FreeText>\s*(\d+)\s*</FreeText>"
)
OTHER_WORKER = "MTurk gave this assignment to another worker"
OTHER_ANSWER = "MTurk's assignment names another answer"
NOT_LISTED = "the HIT closed without this assignment"
ANSWERED_ALREADY = "the worker has another counted answer to this task"


@dataclass
class SyncReport:
    hits: int = 0
    listed: int = 0
    updated: int = 0
    closed: int = 0
    confirmed: int = 0  # answers MTurk confirmed in this sync
    # (HITId, AssignmentId, WorkerId, why): answers MTurk does not confirm; they never count.
    unconfirmed: list[tuple[str, str, str, str]] = field(default_factory=list)
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
        out.append(f"Answers confirmed by MTurk: {self.confirmed}")
        out.append(f"Answers MTurk does not confirm (never counted): {len(self.unconfirmed)}")
        out += [f"  HIT {h} assignment {a} worker {w}: {why}" for h, a, w, why in self.unconfirmed]
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
    # Closed with no assignment in progress: every submitted assignment is listed now.
    settled = info["HITStatus"] in CLOSED and info.get("NumberOfAssignmentsPending", 0) == 0
    with transaction.atomic():
        ours: dict[str, list[Assignment]] = defaultdict(list)
        for a in task_assignments(hit).select_related(
            "worker", "contains_answer", "classify_answer"
        ):
            ours[a.external_id].append(a)
        for item in listed:
            report.updated += reconcile(hit, item, ours.get(item["AssignmentId"], []), report)
        listed_ids = {item["AssignmentId"] for item in listed}
        for external_id, found in sorted(ours.items()):
            if external_id in listed_ids:
                continue
            answered = [(a, answer) for a in found if (answer := answer_of(a)) is not None]
            if answered:
                report.answers_without_assignment.append((hit.hit_id, external_id))
            for a, answer in answered:
                if settled and answer.verification == Verification.PENDING:
                    unconfirm(hit, a, answer, NOT_LISTED, report)
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
    ).order_by("pk")


def answer_of(a: Assignment) -> ContainsAnswer | ClassifyAnswer | None:
    return getattr(a, "contains_answer", None) or getattr(a, "classify_answer", None)


def has_answer(a: Assignment) -> bool:
    return answer_of(a) is not None


def handed_in(item: dict) -> int | None:
    """The answer id the page handed in with the assignment, if MTurk's Answer holds one."""
    match = HANDED_IN.search(item.get("Answer") or "")
    return int(match.group(1)) if match else None


def unconfirm(
    hit: Hit, a: Assignment, answer: ContainsAnswer | ClassifyAnswer, why: str, report: SyncReport
) -> None:
    """The answer never counts (reported when it was not marked so already)."""
    if answer.verification == Verification.UNCONFIRMED:
        return
    answer.verification = Verification.UNCONFIRMED
    answer.save(update_fields=["verification"])
    report.unconfirmed.append((hit.hit_id, a.external_id, a.worker.external_id, why))


def confirm(
    hit: Hit, a: Assignment, answer: ContainsAnswer | ClassifyAnswer, item: dict, report: SyncReport
) -> None:
    """MTurk lists this worker's submitted assignment of this HIT: its answer counts, unless
    MTurk's record of it names another answer."""
    if answer.verification == Verification.CONFIRMED:
        return
    named = handed_in(item)
    if named is not None and named != answer.pk:
        unconfirm(hit, a, answer, OTHER_ANSWER, report)
        return
    before = answer.verification
    answer.verification = Verification.CONFIRMED
    try:
        with transaction.atomic():  # one counted answer per worker and task
            answer.save(update_fields=["verification"])
    except IntegrityError:
        answer.verification = before
        unconfirm(hit, a, answer, ANSWERED_ALREADY, report)
        return
    report.confirmed += 1


def reconcile(hit: Hit, item: dict, candidates: list[Assignment], report: SyncReport) -> bool:
    """Bring our assignments of this AssignmentId in line with MTurk's: the listed worker's
    answer is confirmed, anyone else's under the same AssignmentId is not; an assignment we
    never heard of gets a row (no answer) so that what it costs is counted. True when
    something changed."""
    status = MTURK_STATUS[item["AssignmentStatus"]]
    reviewed_at = item.get("ApprovalTime") or item.get("RejectionTime")
    ours = None
    for a in candidates:
        if a.worker.external_id == item["WorkerId"]:
            ours = a
        elif (answer := answer_of(a)) is not None:
            unconfirm(hit, a, answer, OTHER_WORKER, report)
    if ours is None:
        worker, _ = Worker.objects.get_or_create(
            source=Worker.Source.MTURK, external_id=item["WorkerId"]
        )
        Assignment.objects.create(
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
    answer = answer_of(ours)
    if answer is None:
        report.assignments_without_answer.append((hit.hit_id, item["AssignmentId"]))
    else:
        confirm(hit, ours, answer, item, report)
    changed = ours.status != status or ours.hit_id != hit.hit_id
    if changed:
        ours.status = status
        ours.hit_id = hit.hit_id
        ours.submitted_at = ours.submitted_at or item.get("SubmitTime")
        ours.reviewed_at = reviewed_at or ours.reviewed_at
        ours.save(update_fields=["status", "hit_id", "submitted_at", "reviewed_at"])
    return changed
