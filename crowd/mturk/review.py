"""Review and payments: approve what passed quality control, reject only on an explicit
command with feedback, bonuses, blocking and qualifications, expiring and extending HITs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from core.errors import FinelabelError
from crowd.models import Assignment, Bonus, Hit, QcStatus, Verification, Worker
from crowd.mturk.costs import assignment_cost, bonus_cost, cents, dollars, fee_rate
from crowd.mturk.gateway import MTurk, MTurkError
from crowd.mturk.hit_types import settings_for
from crowd.mturk.publish import PublishRefused, is_repeated_token
from crowd.mturk.selectors import mturk_summary
from pipeline.models import Campaign

EXPIRE_NOW = datetime(1970, 1, 1, tzinfo=UTC)  # a time in the past expires a HIT at once


class AssignmentReviewError(FinelabelError):
    """Bad input for a review action; nothing was sent to MTurk."""


@dataclass
class ApproveReport:
    approved: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def mturk_assignment(mturk: MTurk, assignment_id: str) -> Assignment:
    """Our assignment for an MTurk AssignmentId, in the client's environment. Anyone may have
    named the AssignmentId in a page's URL: the one MTurk confirmed (or listed without an
    answer) is the worker's; a pending one only when it is the only one."""
    found = [
        a
        for a in Assignment.objects.select_related(
            "campaign", "worker", "contains_answer", "classify_answer"
        )
        .filter(external_id=assignment_id, worker__source=Worker.Source.MTURK)
        .order_by("pk")
        if _verification(a) != Verification.UNCONFIRMED
    ]
    confirmed = [a for a in found if _verification(a) == Verification.CONFIRMED]
    if not found:
        raise AssignmentReviewError(
            f"No MTurk assignment {assignment_id!r} here; run `mturk sync` first?"
        )
    if len(confirmed) != 1 and len(found) > 1:
        raise AssignmentReviewError(
            f"Several workers' answers name assignment {assignment_id}: run `mturk sync` first, "
            "so that MTurk tells whose it is."
        )
    a = confirmed[0] if confirmed else found[0]
    if not Hit.objects.filter(hit_id=a.hit_id, sandbox=mturk.sandbox).exists():
        env = "sandbox" if mturk.sandbox else "live"
        raise AssignmentReviewError(f"Assignment {assignment_id} belongs to no {env} HIT of ours.")
    return a


def _verification(a: Assignment) -> str:
    """The verification of the assignment's answer; an assignment without one was listed by
    MTurk (the sync made its row)."""
    answer = getattr(a, "contains_answer", None) or getattr(a, "classify_answer", None)
    return Verification.CONFIRMED if answer is None else answer.verification


def approvable(campaign: Campaign, *, sandbox: bool):
    """Submitted assignments whose answer MTurk confirmed and quality control kept."""
    confirmed = Verification.CONFIRMED
    kept = Q(contains_answer__qc_status=QcStatus.KEPT, contains_answer__verification=confirmed) | Q(
        classify_answer__qc_status=QcStatus.KEPT, classify_answer__verification=confirmed
    )
    hits = Hit.objects.filter(campaign=campaign, sandbox=sandbox).values("hit_id")
    return Assignment.objects.filter(
        kept,
        campaign=campaign,
        status=Assignment.Status.SUBMITTED,
        external_id__isnull=False,
        hit_id__in=hits,
    ).order_by("pk")


def approve_kept(mturk: MTurk, campaign: Campaign, *, feedback: str = "") -> ApproveReport:
    """ApproveAssignment for every submitted answer that quality control kept. An assignment
    MTurk refuses (say, approved meanwhile by the auto-approval) is reported, not fatal."""
    report = ApproveReport()
    for a in approvable(campaign, sandbox=mturk.sandbox):
        params = {"AssignmentId": a.external_id}
        if feedback:
            params["RequesterFeedback"] = feedback
        try:
            mturk.call("ApproveAssignment", **params)
        except MTurkError as exc:
            report.failed.append((a.external_id, exc.message))
            continue
        a.status, a.reviewed_at = Assignment.Status.APPROVED, timezone.now()
        a.save(update_fields=["status", "reviewed_at"])
        report.approved.append(a.external_id)
    return report


def reject(mturk: MTurk, assignment_id: str, feedback: str) -> Assignment:
    """RejectAssignment with the feedback the worker will read. Only submitted assignments."""
    feedback = (feedback or "").strip()
    if not feedback:
        raise AssignmentReviewError("A rejection needs feedback for the worker (--feedback).")
    a = mturk_assignment(mturk, assignment_id)
    if a.status != Assignment.Status.SUBMITTED:
        raise AssignmentReviewError(
            f"Assignment {assignment_id} is {a.status}: only submitted ones."
        )
    mturk.call("RejectAssignment", AssignmentId=assignment_id, RequesterFeedback=feedback)
    a.status, a.reviewed_at = Assignment.Status.REJECTED, timezone.now()
    a.save(update_fields=["status", "reviewed_at"])
    return a


def check_budget(campaign: Campaign, sandbox: bool, extra: Decimal, what: str) -> None:
    if campaign.mturk_budget is None:
        return
    total = mturk_summary(campaign, sandbox=sandbox).spent_and_committed + extra
    if total > campaign.mturk_budget:
        raise PublishRefused(
            f"Budget cap of {dollars(campaign.mturk_budget)} would be exceeded by {what} "
            f"({dollars(total)} in all)."
        )


def send_bonus(
    mturk: MTurk, assignment_id: str, amount: Decimal, reason: str, *, token: str = ""
) -> Bonus:
    """SendBonus with a UniqueRequestToken (by default one bonus per assignment): running the
    same command again never pays twice."""
    amount = cents(Decimal(amount))
    reason = (reason or "").strip()
    if amount <= 0:
        raise AssignmentReviewError("A bonus must be positive.")
    if not reason:
        raise AssignmentReviewError("A bonus needs a reason the worker will read (--reason).")
    a = mturk_assignment(mturk, assignment_id)
    token = token or f"bonus-{assignment_id}"
    bonus = Bonus.objects.filter(sandbox=mturk.sandbox, unique_request_token=token).first()
    if bonus is not None and (bonus.amount != amount or bonus.assignment_id != a.pk):
        raise AssignmentReviewError(
            f"Token {token!r} was used for another bonus; pass a new --token."
        )
    if bonus is not None and bonus.sent_at:
        return bonus
    if bonus is None:
        check_budget(a.campaign, mturk.sandbox, bonus_cost(amount), "this bonus")
        bonus = Bonus.objects.create(
            campaign=a.campaign,
            assignment=a,
            worker=a.worker,
            sandbox=mturk.sandbox,
            amount=amount,
            reason=reason,
            unique_request_token=token,
        )
    try:
        mturk.call(
            "SendBonus",
            WorkerId=a.worker.external_id,
            BonusAmount=str(amount),
            AssignmentId=assignment_id,
            Reason=reason,
            UniqueRequestToken=token,
        )
    except MTurkError as exc:
        if not is_repeated_token(exc):  # a repeated token: MTurk paid it the first time
            raise
    bonus.sent_at = timezone.now()
    bonus.save(update_fields=["sent_at"])
    return bonus


def block_worker(
    mturk: MTurk, worker_id: str, reason: str, *, campaign: Campaign | None = None
) -> Worker:
    """CreateWorkerBlock, and the campaign's exclusion qualification when it has one."""
    reason = (reason or "").strip()
    if not reason:
        raise AssignmentReviewError("Blocking a worker needs a reason (--reason).")
    exclusion = settings_for(campaign).exclusion_qualification if campaign else ""
    mturk.call("CreateWorkerBlock", WorkerId=worker_id, Reason=reason)
    if exclusion:
        mturk.call(
            "AssociateQualificationWithWorker",
            QualificationTypeId=exclusion,
            WorkerId=worker_id,
            IntegerValue=1,
            SendNotification=False,
        )
    worker, _ = Worker.objects.get_or_create(source=Worker.Source.MTURK, external_id=worker_id)
    worker.blocked, worker.blocked_reason = True, reason
    worker.save(update_fields=["blocked", "blocked_reason"])
    return worker


def workers_failing_qc(campaign: Campaign) -> list[str]:
    """MTurk workers of the campaign whom quality control dropped as workers, not blocked yet."""
    dropped = Q(
        contains_answers__grid__campaign=campaign,
        contains_answers__qc_status=(QcStatus.DROPPED_WORKER),
    ) | Q(
        classify_answers__task__campaign=campaign,
        classify_answers__qc_status=(QcStatus.DROPPED_WORKER),
    )
    return list(
        Worker.objects.filter(dropped, source=Worker.Source.MTURK, blocked=False)
        .values_list("external_id", flat=True)
        .distinct()
        .order_by("external_id")
    )


def qualify_worker(mturk: MTurk, campaign: Campaign, worker_id: str, *, value: int = 1) -> None:
    """Give a worker who passed the screening the campaign's screening qualification."""
    screening = settings_for(campaign).screening_qualification
    if not screening:
        raise AssignmentReviewError("The campaign has no screening qualification; create it first.")
    mturk.call(
        "AssociateQualificationWithWorker",
        QualificationTypeId=screening,
        WorkerId=worker_id,
        IntegerValue=value,
        SendNotification=True,
    )


def create_qualification_types(mturk: MTurk, campaign: Campaign) -> dict[str, str]:
    """Our two qualification types for the campaign (screening passed, excluded), created
    once and stored in its MTurk settings."""
    s = settings_for(campaign)
    wanted = {
        "screening_qualification": (
            "screening passed",
            "Passed the screening of this labelling campaign.",
        ),
        "exclusion_qualification": (
            "excluded",
            "Excluded from this labelling campaign.",
        ),
    }
    for attr, (label, description) in wanted.items():
        if getattr(s, attr):
            continue
        created = mturk.call(
            "CreateQualificationType",
            Name=f"finelabel {campaign.name}: {label}",
            Keywords="finelabel",
            Description=description,
            QualificationTypeStatus="Active",
        )
        setattr(s, attr, created["QualificationType"]["QualificationTypeId"])
        s.save(update_fields=[attr])
    return {attr: getattr(s, attr) for attr in wanted}


def expire_hit(mturk: MTurk, hit: Hit) -> Hit:
    """Take a HIT off the market now; submitted work stays payable."""
    mturk.call("UpdateExpirationForHIT", HITId=hit.hit_id, ExpireAt=EXPIRE_NOW)
    hit.expiration = timezone.now()
    hit.save(update_fields=["expiration"])
    return hit


def extend_hit(
    mturk: MTurk, hit: Hit, *, assignments: int = 0, expire_at: datetime | None = None
) -> Hit:
    """More assignments (CreateAdditionalAssignmentsForHIT, with a token) and/or a later
    expiration (UpdateExpirationForHIT), within the budget."""
    if assignments < 0 or (not assignments and expire_at is None):
        raise AssignmentReviewError(
            "Extend by a positive number of assignments and/or a new expiration."
        )
    if expire_at is not None and expire_at <= timezone.now():
        raise AssignmentReviewError(
            "The new expiration is in the past; use `mturk expire` to expire."
        )
    if assignments:
        total = hit.max_assignments + assignments
        if fee_rate(hit.max_assignments) != fee_rate(total):
            raise AssignmentReviewError(
                "MTurk does not let a HIT grow from fewer than 10 assignments to 10 or more."
            )
        extra = assignments * assignment_cost(hit.reward, total)
        check_budget(hit.campaign, hit.sandbox, extra, f"{assignments} more assignments")
        try:
            mturk.call(
                "CreateAdditionalAssignmentsForHIT",
                HITId=hit.hit_id,
                NumberOfAdditionalAssignments=assignments,
                UniqueRequestToken=f"extend-{hit.hit_id}-{total}",
            )
        except MTurkError as exc:
            if not is_repeated_token(exc):
                raise
        hit.max_assignments = total
    if expire_at is not None:
        mturk.call("UpdateExpirationForHIT", HITId=hit.hit_id, ExpireAt=expire_at)
        hit.expiration = expire_at
    hit.done = False
    hit.save(update_fields=["max_assignments", "expiration", "done"])
    return hit
