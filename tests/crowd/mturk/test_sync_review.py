"""Sync and review: reconciliation with missing and extra assignments, the answers MTurk
confirms (and those it does not), approve, reject, bonus, block, qualification, expire and
extend; the money figures that follow."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crowd.models import (
    Assignment,
    Bonus,
    ClassifyAnswer,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    Hit,
    MTurkCall,
    MTurkSettings,
    QcStatus,
    Verification,
    Worker,
)
from crowd.mturk import review
from crowd.mturk.review import EXPIRE_NOW, AssignmentReviewError
from crowd.mturk.selectors import mturk_summary
from crowd.mturk.sync import SyncReport, sync_campaign
from crowd.mturk.tasks import sync_open_hits
from tests.crowd.mturk.conftest import CREATED

pytestmark = pytest.mark.django_db
SUBMITTED = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
FUTURE = timezone.now() + timedelta(days=30)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("mturk", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def make_hit(campaign, hit_id="HIT1", *, grid_number=1, max_assignments=9, expiration=FUTURE):
    return Hit.objects.create(
        campaign=campaign,
        kind="contains",
        grid=ContainsGrid.objects.get(campaign=campaign, number=grid_number),
        sandbox=True,
        hit_id=hit_id,
        hit_type_id="TYPE1",
        unique_request_token=f"contains-grid{grid_number}pub",
        max_assignments=max_assignments,
        reward=Decimal("0.20"),
        status="Assignable",
        created=CREATED,
        expiration=expiration,
    )


def answer(
    hit,
    assignment_id,
    worker_id,
    *,
    qc=QcStatus.PENDING,
    status="submitted",
    hit_id="",
    verification=Verification.CONFIRMED,
):
    """An answer our server received (as the HIT page stores it: pending; confirmed, as the
    sync leaves those MTurk lists)."""
    worker, _ = Worker.objects.get_or_create(source="mturk", external_id=worker_id)
    a = Assignment.objects.create(
        campaign=hit.campaign,
        kind="contains",
        grid=hit.grid,
        worker=worker,
        external_id=assignment_id,
        hit_id=hit_id,
        status=status,
        submitted_at=SUBMITTED,
    )
    ContainsAnswer.objects.create(
        assignment=a, grid=hit.grid, worker=worker, qc_status=qc, verification=verification
    )
    return a


def mturk_assignment(
    assignment_id, worker_id, status="Submitted", hit_id="HIT1", answer_id=None, **times
):
    """An assignment as ListAssignmentsForHIT returns it; `answer_id`: the answer id the page
    handed in with it (in MTurk's Answer)."""
    item = {
        "AssignmentId": assignment_id,
        "WorkerId": worker_id,
        "HITId": hit_id,
        "AssignmentStatus": status,
        "SubmitTime": SUBMITTED,
        **times,
    }
    if answer_id is not None:
        item["Answer"] = (
            '<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="http://'
            "mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/"
            'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>answer</QuestionIdentifier>'
            f"<FreeText>{answer_id}</FreeText></Answer></QuestionFormAnswers>"
        )
    return item


def get_hit(stub, hit_id="HIT1", status="Assignable", pending=0, expiration=FUTURE):
    stub.add_response(
        "get_hit",
        {
            "HIT": {
                "HITId": hit_id,
                "HITStatus": status,
                "Expiration": expiration,
                "MaxAssignments": 9,
                "NumberOfAssignmentsPending": pending,
            }
        },
        {"HITId": hit_id},
    )


LIST = {
    "HITId": "HIT1",
    "MaxResults": 100,
    "AssignmentStatuses": ["Submitted", "Approved", "Rejected"],
}


def test_sync_reports_missing_and_extra_assignments_and_updates_statuses(campaign, stub, mturk):
    hit = make_hit(campaign)
    pending = Verification.PENDING
    answer(hit, "A1", "W1", verification=pending)  # MTurk lists it (approved meanwhile)
    answer(hit, "A2", "W2", verification=pending)  # MTurk lists no such assignment
    get_hit(stub)
    stub.add_response(
        "list_assignments_for_hit",
        {
            "Assignments": [
                mturk_assignment("A1", "W1", "Approved", ApprovalTime=SUBMITTED + timedelta(days=3))
            ],
            "NextToken": "p2",
            "NumResults": 1,
        },
        LIST,
    )
    stub.add_response(
        "list_assignments_for_hit",
        {"Assignments": [mturk_assignment("A3", "W3")], "NumResults": 1},
        {**LIST, "NextToken": "p2"},
    )
    report = sync_campaign(mturk, campaign)
    assert report.answers_without_assignment == [("HIT1", "A2")]
    assert report.assignments_without_answer == [("HIT1", "A3")]
    assert (report.hits, report.listed, report.updated) == (1, 2, 2)
    a1 = Assignment.objects.get(external_id="A1")
    assert a1.status == "approved" and a1.hit_id == "HIT1"
    assert a1.reviewed_at == SUBMITTED + timedelta(days=3)
    a3 = Assignment.objects.get(external_id="A3")  # counted, so that its cost is known
    assert (a3.status, a3.worker.external_id, a3.grid, a3.hit_id) == (
        "submitted",
        "W3",
        hit.grid,
        "HIT1",
    )
    assert not hasattr(a3, "contains_answer")
    assert Assignment.objects.get(external_id="A2").status == "submitted"
    hit.refresh_from_db()
    assert not hit.done and hit.synced_at is not None
    # MTurk listed A1: its answer counts now. A2 waits: the HIT is still on the market.
    verification = dict(
        ContainsAnswer.objects.values_list("assignment__external_id", "verification")
    )
    assert verification == {"A1": "confirmed", "A2": "pending"}
    assert report.confirmed == 1 and report.unconfirmed == []


def test_sync_command_prints_the_reconciliation(campaign, stub):
    hit = make_hit(campaign)
    answer(hit, "A2", "W2")
    get_hit(stub, status="Reviewable")
    stub.add_response(
        "list_assignments_for_hit",
        {"Assignments": [mturk_assignment("A9", "W9", "Rejected", RejectionTime=SUBMITTED)]},
        LIST,
    )
    out = run("sync", "--campaign", str(campaign.pk))
    assert "Answers without an MTurk assignment: 1\n  HIT HIT1 assignment A2" in out
    assert "MTurk assignments without an answer: 1\n  HIT HIT1 assignment A9" in out
    # Reviewable, nothing pending, every listed assignment reviewed: closed, not synced again.
    assert Hit.objects.get().done
    assert "HITs synced: 0" in run("sync", "--campaign", str(campaign.pk))


def test_beat_task_syncs_campaigns_with_open_hits(campaign, stub):
    make_hit(campaign)
    get_hit(stub)
    stub.add_response("list_assignments_for_hit", {"Assignments": []}, LIST)
    result = sync_open_hits.apply().get()
    assert result == {
        "imagenet-v2": {
            "extended": 0,  # not adaptive: nothing weighed, no HIT extended
            "hits": 1,
            "updated": 0,
            "confirmed": 0,
            "unconfirmed": 0,
            "answers_without_assignment": 0,
            "assignments_without_answer": 0,
        }
    }


def test_approve_only_answers_that_qc_kept(campaign, stub):
    hit = make_hit(campaign, hit_id="HIT1")
    answer(hit, "A1", "W1", qc=QcStatus.KEPT, hit_id="HIT1")
    answer(hit, "A2", "W2", qc=QcStatus.DROPPED_ANSWER, hit_id="HIT1")
    answer(hit, "A3", "W3", qc=QcStatus.PENDING, hit_id="HIT1")
    answer(hit, "A4", "W4", qc=QcStatus.KEPT, hit_id="HIT1", status="approved")
    # Not confirmed by MTurk: never paid, whatever its status says.
    answer(hit, "A6", "W6", qc=QcStatus.KEPT, hit_id="HIT1", verification="unconfirmed")
    # A CLASSIFY answer kept by QC is approved as well.
    task = ClassifyTask.objects.get(public_id="task0pub")
    chit = Hit.objects.create(
        campaign=campaign,
        kind="classify",
        classify_task=task,
        sandbox=True,
        hit_id="HIT9",
        hit_type_id="T2",
        unique_request_token="classify-task0pub",
        max_assignments=9,
        reward=Decimal("0.08"),
        status="Assignable",
        created=CREATED,
        expiration=FUTURE,
    )
    w5 = Worker.objects.create(source="mturk", external_id="W5")
    a5 = Assignment.objects.create(
        campaign=campaign,
        kind="classify",
        classify_task=task,
        worker=w5,
        external_id="A5",
        hit_id=chit.hit_id,
        status="submitted",
    )
    ClassifyAnswer.objects.create(assignment=a5, task=task, worker=w5, qc_status=QcStatus.KEPT)
    stub.add_response("approve_assignment", {}, {"AssignmentId": "A1"})
    stub.add_response("approve_assignment", {}, {"AssignmentId": "A5"})
    out = run("approve", "--campaign", str(campaign.pk))
    assert "Approved 2 assignments." in out
    statuses = dict(Assignment.objects.values_list("external_id", "status"))
    assert statuses == {
        "A1": "approved",
        "A2": "submitted",
        "A3": "submitted",
        "A4": "approved",
        "A5": "approved",
        "A6": "submitted",
    }


def test_approve_reports_what_mturk_refuses_and_goes_on(campaign, stub, mturk):
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", qc=QcStatus.KEPT, hit_id="HIT1")
    answer(hit, "A2", "W2", qc=QcStatus.KEPT, hit_id="HIT1")
    stub.add_client_error(
        "approve_assignment",
        service_error_code="RequestError",
        service_message="This operation can be called with a status of: Submitted",
        expected_params={"AssignmentId": "A1", "RequesterFeedback": "Thanks!"},
    )
    stub.add_response(
        "approve_assignment", {}, {"AssignmentId": "A2", "RequesterFeedback": "Thanks!"}
    )
    report = review.approve_kept(mturk, campaign, feedback="Thanks!")
    assert report.approved == ["A2"]
    assert report.failed == [("A1", "This operation can be called with a status of: Submitted")]
    assert MTurkCall.objects.filter(error_code="RequestError").count() == 1  # not retried


def test_reject_needs_feedback_and_sends_it(campaign, stub):
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", qc=QcStatus.DROPPED_ANSWER, hit_id="HIT1")
    with pytest.raises(CommandError, match="needs feedback"):
        run("reject", "--assignment", "A1", "--feedback", "  ")
    stub.add_response(
        "reject_assignment",
        {},
        {"AssignmentId": "A1", "RequesterFeedback": "No control image was selected."},
    )
    run("reject", "--assignment", "A1", "--feedback", "No control image was selected.")
    assert Assignment.objects.get(external_id="A1").status == "rejected"
    with pytest.raises(CommandError, match="is rejected: only submitted"):
        run("reject", "--assignment", "A1", "--feedback", "again")


def test_bonus_uses_a_token_and_is_never_paid_twice(campaign, stub):
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", qc=QcStatus.KEPT, status="approved", hit_id="HIT1")
    stub.add_response(
        "send_bonus",
        {},
        {
            "WorkerId": "W1",
            "BonusAmount": "0.50",
            "AssignmentId": "A1",
            "Reason": "Careful work, thank you.",
            "UniqueRequestToken": "bonus-A1",
        },
    )
    args = [
        "bonus",
        "--assignment",
        "A1",
        "--amount",
        "0.5",
        "--reason",
        "Careful work, thank you.",
    ]
    assert "Bonus of $0.50 to W1 sent." in run(*args)
    run(*args)  # again: already sent, no call (the Stubber has no second response)
    bonus = Bonus.objects.get()
    assert bonus.sent_at and bonus.amount == Decimal("0.50")
    with pytest.raises(CommandError, match="not a number"):
        run("bonus", "--assignment", "A1", "--amount", "lots", "--reason", "x")


def test_bonus_resent_after_a_crash_is_accepted_as_paid(campaign, stub, mturk):
    """The first SendBonus went through but we never heard back: the row is there unsent, the
    retry repeats the token, MTurk refuses the repeat, and the bonus counts as paid once."""
    hit = make_hit(campaign)
    a = answer(hit, "A1", "W1", status="approved", hit_id="HIT1")
    Bonus.objects.create(
        campaign=campaign,
        assignment=a,
        worker=a.worker,
        sandbox=True,
        amount=Decimal("1.00"),
        reason="r",
        unique_request_token="bonus-A1",
    )
    stub.add_client_error(
        "send_bonus",
        service_error_code="RequestError",
        service_message='The idempotency token "bonus-A1" has already been processed.',
        expected_params={
            "WorkerId": "W1",
            "BonusAmount": "1.00",
            "AssignmentId": "A1",
            "Reason": "r",
            "UniqueRequestToken": "bonus-A1",
        },
    )
    review.send_bonus(mturk, "A1", Decimal("1"), "r")
    assert Bonus.objects.get().sent_at is not None


def test_block_workers_that_failed_qc_with_the_exclusion_qualification(campaign, stub):
    MTurkSettings.objects.create(campaign=campaign, exclusion_qualification="EXCLUDEQUAL")
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", qc=QcStatus.DROPPED_WORKER)
    answer(hit, "A2", "W2", qc=QcStatus.KEPT)
    stub.add_response(
        "create_worker_block", {}, {"WorkerId": "W1", "Reason": "Failed quality control."}
    )
    stub.add_response(
        "associate_qualification_with_worker",
        {},
        {
            "QualificationTypeId": "EXCLUDEQUAL",
            "WorkerId": "W1",
            "IntegerValue": 1,
            "SendNotification": False,
        },
    )
    out = run(
        "block",
        "--campaign",
        str(campaign.pk),
        "--failed-qc",
        "--reason",
        "Failed quality control.",
    )
    assert "Blocked 1 workers." in out
    assert list(Worker.objects.filter(blocked=True).values_list("external_id", flat=True)) == ["W1"]
    assert review.workers_failing_qc(campaign) == []


def test_block_one_worker_by_id(campaign, stub):
    """`mturk block --worker` blocks that worker alone, with its reason; without an exclusion
    qualification set up, CreateWorkerBlock is the only call."""
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", qc=QcStatus.KEPT)
    answer(hit, "A2", "W2", qc=QcStatus.KEPT)
    stub.add_response("create_worker_block", {}, {"WorkerId": "W2", "Reason": "Spam answers."})
    out = run("block", "--worker", "W2", "--reason", "Spam answers.")
    assert "Blocked 1 workers." in out
    assert list(Worker.objects.filter(blocked=True).values_list("external_id", flat=True)) == ["W2"]
    worker = Worker.objects.get(external_id="W2")
    assert worker.blocked_reason == "Spam answers."


def test_screening_qualification_created_and_granted(campaign, stub, mturk):
    for label, qual_id in [("screening passed", "SCREENQUAL"), ("excluded", "EXCLUDEQUAL")]:
        stub.add_response(
            "create_qualification_type",
            {"QualificationType": {"QualificationTypeId": qual_id}},
            {
                "Name": f"finelabel imagenet-v2: {label}",
                "Keywords": "finelabel",
                "Description": (
                    "Passed the screening of this labelling campaign."
                    if qual_id == "SCREENQUAL"
                    else "Excluded from this labelling campaign."
                ),
                "QualificationTypeStatus": "Active",
            },
        )
    assert review.create_qualification_types(mturk, campaign) == {
        "screening_qualification": "SCREENQUAL",
        "exclusion_qualification": "EXCLUDEQUAL",
    }
    assert review.create_qualification_types(mturk, campaign)["screening_qualification"]  # no call
    stub.add_response(
        "associate_qualification_with_worker",
        {},
        {
            "QualificationTypeId": "SCREENQUAL",
            "WorkerId": "W7",
            "IntegerValue": 1,
            "SendNotification": True,
        },
    )
    run("qualify", "--campaign", str(campaign.pk), "--worker", "W7")


def test_qualify_without_a_screening_type_is_refused(campaign, stub):
    with pytest.raises(CommandError, match="no screening qualification"):
        run("qualify", "--campaign", str(campaign.pk), "--worker", "W7")


def test_expire_and_extend(campaign, stub, mturk):
    hit = make_hit(campaign, max_assignments=3)
    stub.add_response("update_expiration_for_hit", {}, {"HITId": "HIT1", "ExpireAt": EXPIRE_NOW})
    assert "Expired 1 HITs." in run("expire", "--campaign", str(campaign.pk), "--stage", "contains")
    hit.refresh_from_db()
    assert hit.expiration <= timezone.now()
    # MTurk refuses to grow a HIT from under 10 assignments to 10 or more: refused here first.
    with pytest.raises(AssignmentReviewError, match="fewer than 10 assignments to 10 or more"):
        review.extend_hit(mturk, hit, assignments=7)
    later = timezone.now() + timedelta(days=2)
    stub.add_response(
        "create_additional_assignments_for_hit",
        {},
        {
            "HITId": "HIT1",
            "NumberOfAdditionalAssignments": 3,
            "UniqueRequestToken": "extend-HIT1-6",
        },
    )
    stub.add_response("update_expiration_for_hit", {}, {"HITId": "HIT1", "ExpireAt": later})
    review.extend_hit(mturk, hit, assignments=3, expire_at=later)
    hit.refresh_from_db()
    assert (hit.max_assignments, hit.expiration, hit.done) == (6, later, False)


def test_extend_within_the_budget_only(campaign, stub, mturk):
    campaign.mturk_budget = Decimal("2.00")
    campaign.save()
    hit = make_hit(campaign, max_assignments=8)  # 8 x $0.24 = $1.92 committed
    with pytest.raises(review.PublishRefused, match="Budget cap of \\$2.00"):
        review.extend_hit(mturk, hit, assignments=1)
    assert Hit.objects.get().max_assignments == 8


def test_money_spent_committed_and_projected(campaign):
    hit = make_hit(campaign)  # open: 9 assignments of $0.24 each
    make_hit(campaign, "HIT2", grid_number=2, expiration=timezone.now() - timedelta(days=1))
    answer(hit, "A1", "W1", status="approved", hit_id="HIT1")
    answer(hit, "A2", "W2", status="rejected", hit_id="HIT1")
    expired = Hit.objects.get(hit_id="HIT2")
    answer(expired, "B1", "W1", status="submitted", hit_id="HIT2")
    answer(expired, "B2", "W2", status="approved", hit_id="HIT2")
    a1 = Assignment.objects.get(external_id="A1")
    Bonus.objects.create(
        campaign=campaign,
        assignment=a1,
        worker=a1.worker,
        sandbox=True,
        amount=Decimal("1.00"),
        reason="r",
        unique_request_token="bonus-A1",
        sent_at=timezone.now(),
    )
    s = mturk_summary(campaign, sandbox=True)
    assert s.hits == {"contains": 2, "classify": 0} and s.assignments_max == 18
    assert (s.assignments_done, s.approved, s.rejected, s.submitted) == (4, 2, 1, 1)
    assert s.spent_rewards == Decimal("0.48")  # 2 approved x $0.24
    assert s.spent_bonuses == Decimal("1.20")  # $1.00 + 20%
    # Open HIT: 9 slots - 1 approved - 1 rejected = 7 x $0.24; expired HIT: 1 to review.
    assert s.committed == Decimal("1.68") + Decimal("0.24")
    # Three CLASSIFY tasks not published: 27 x $0.096.
    assert s.unpublished == {"contains": 0, "classify": 3}
    assert s.projected_total == Decimal("0.48") + Decimal("1.20") + Decimal("1.92") + Decimal(
        "2.592"
    )
    out = run("summary", "--campaign", str(campaign.pk))
    assert "Spent: $1.68" in out and "Committed: $1.92" in out
    assert "Projected total: $6.19" in out


def test_sync_report_lines_are_empty_when_all_agree():
    assert SyncReport().lines()[2] == "Answers without an MTurk assignment: 0"


# Which answers count: those MTurk confirms


def test_sync_confirms_the_answer_mturk_lists_and_no_other(campaign, stub, mturk):
    """Pending answers (as the pages store MTurk answers): MTurk lists W1's assignment A1 with
    the answer its page handed in, W3's A3 with another answer id, W4's A4 with no Answer.
    Someone answered first as W7 under W1's AssignmentId, and as W1 under an invented one."""
    hit = make_hit(campaign)
    pending = Verification.PENDING
    real = answer(hit, "A1", "W1", hit_id="HIT1", verification=pending)
    thief = answer(hit, "A1", "W7", hit_id="HIT1", verification=pending)
    invented = answer(hit, "A9", "W1", hit_id="HIT1", verification=pending)
    other = answer(hit, "A3", "W3", hit_id="HIT1", verification=pending)
    plain = answer(hit, "A4", "W4", hit_id="HIT1", verification=pending)
    listed = [
        mturk_assignment("A1", "W1", answer_id=real.contains_answer.pk),
        mturk_assignment("A3", "W3", answer_id=other.contains_answer.pk + 1000),
        mturk_assignment("A4", "W4"),
    ]
    get_hit(stub, pending=1)  # a worker still on it: A9 may yet come
    stub.add_response("list_assignments_for_hit", {"Assignments": listed}, LIST)
    report = sync_campaign(mturk, campaign)

    def state(a: Assignment) -> str:
        return ContainsAnswer.objects.get(assignment=a).verification

    assert [state(a) for a in (real, thief, invented, other, plain)] == [
        "confirmed",
        "unconfirmed",
        "pending",
        "unconfirmed",
        "confirmed",
    ]
    assert report.confirmed == 2
    assert sorted(report.unconfirmed) == [
        ("HIT1", "A1", "W7", "MTurk gave this assignment to another worker"),
        ("HIT1", "A3", "W3", "MTurk's assignment names another answer"),
    ]
    # The HIT closes with nothing pending: A9 never came, its answer never counts.
    get_hit(stub, status="Reviewable")
    stub.add_response("list_assignments_for_hit", {"Assignments": listed}, LIST)
    report = sync_campaign(mturk, campaign)
    assert state(invented) == "unconfirmed" and report.confirmed == 0
    assert report.unconfirmed == [("HIT1", "A9", "W1", "the HIT closed without this assignment")]
    lines = "\n".join(report.lines())
    assert "Answers MTurk does not confirm (never counted): 1" in lines
    assert "HIT HIT1 assignment A9 worker W1: the HIT closed without this assignment" in lines


def test_one_answer_per_worker_and_task_counts(campaign, stub, mturk):
    """The same worker on one grid through two HITs (the sandbox's and another): the second
    answer MTurk lists is not confirmed, the first one still counts."""
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", hit_id="HIT1")  # confirmed already
    second = answer(hit, "A2", "W1", hit_id="HIT1", verification=Verification.PENDING)
    get_hit(stub)
    stub.add_response(
        "list_assignments_for_hit",
        {"Assignments": [mturk_assignment("A1", "W1"), mturk_assignment("A2", "W1")]},
        LIST,
    )
    report = sync_campaign(mturk, campaign)
    assert ContainsAnswer.objects.get(assignment=second).verification == "unconfirmed"
    assert report.unconfirmed == [
        ("HIT1", "A2", "W1", "the worker has another counted answer to this task")
    ]


def test_review_takes_the_assignment_mturk_confirmed(campaign, stub):
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", hit_id="HIT1", verification=Verification.PENDING)
    answer(hit, "A1", "W7", hit_id="HIT1", verification=Verification.PENDING)
    # Two workers' answers name A1 and MTurk has not said whose it is yet.
    with pytest.raises(CommandError, match="run `mturk sync` first"):
        run("reject", "--assignment", "A1", "--feedback", "No.")
    ContainsAnswer.objects.filter(worker__external_id="W1").update(verification="confirmed")
    ContainsAnswer.objects.filter(worker__external_id="W7").update(verification="unconfirmed")
    stub.add_response("reject_assignment", {}, {"AssignmentId": "A1", "RequesterFeedback": "No."})
    run("reject", "--assignment", "A1", "--feedback", "No.")
    statuses = dict(Assignment.objects.values_list("worker__external_id", "status"))
    assert statuses == {"W1": "rejected", "W7": "submitted"}


def test_answers_waiting_for_mturk_cost_nothing_and_are_shown(campaign):
    hit = make_hit(campaign)
    answer(hit, "A1", "W1", hit_id="HIT1", status="approved")
    for n in range(2, 5):
        answer(hit, f"A{n}", f"W{n}", hit_id="HIT1", verification=Verification.PENDING)
    answer(hit, "A5", "W5", hit_id="HIT1", verification=Verification.UNCONFIRMED)
    s = mturk_summary(campaign, sandbox=True)
    assert (s.approved, s.submitted) == (1, 0)
    out = run("summary", "--campaign", str(campaign.pk))
    assert "waiting for MTurk to confirm them (not counted yet): CONTAINS 3, CLASSIFY 0" in out
    assert "not confirmed by MTurk (never counted): CONTAINS 1, CLASSIFY 0" in out
