"""More answers than a HIT under 10 assignments may take (botocore's Stubber): MTurk does not
grow such a HIT to 10 or more, so the rest goes to a second HIT of the same HIT type and page,
once per answers asked; workers who answered on the first HIT are told so when they accept
the second, the submit takes answers up to what was asked, and the sync confirms them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from botocore.stub import ANY
from django.utils import timezone

from crowd.models import ContainsAnswer, ContainsGrid, Hit, MTurkCall, Verification
from crowd.mturk.adaptive import extend_to_targets
from crowd.mturk.hit_types import external_question, task_url
from crowd.mturk.publish import plan_publish, publish
from crowd.mturk.sync import SyncReport, sync_hit
from crowd.services.task_facts import ANSWERED_BEFORE
from pipeline.models import AnswerRequest
from tests.crowd.hits.helpers import mturk_query, page_config, page_url, post_json
from tests.crowd.mturk.conftest import hit_response
from tests.crowd.mturk.test_forged_answers import published_campaign, submit_as
from tests.crowd.mturk.test_sync_review import LIST, mturk_assignment

pytestmark = pytest.mark.django_db
ON_THE_MARKET = timezone.now() + timedelta(days=7)


def publish_grids(campaign, stub, mturk, assignments: int) -> list[Hit]:
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, None)
    for n in (1, 2):
        token = f"contains-grid{n}pub"
        params = {
            "HITTypeId": "TYPE1",
            "MaxAssignments": assignments,
            "LifetimeInSeconds": ANY,
            "Question": ANY,
            "RequesterAnnotation": token,
            "UniqueRequestToken": token,
        }
        hit = hit_response(f"GHIT{n}", token, max_assignments=assignments, Expiration=ON_THE_MARKET)
        stub.add_response("create_hit_with_hit_type", {"HIT": hit}, params)
    return publish(mturk, plan_publish(campaign, "contains", sandbox=True))


def ask(grid, seen: int, target: int) -> None:
    AnswerRequest.objects.create(
        campaign=grid.campaign,
        kind="contains",
        grid=grid,
        reason=AnswerRequest.Reason.FOLLOWUP,
        answers_seen=seen,
        target=target,
    )


def expect_second_hit(stub, grid, hit_id: str, assignments: int, hit_type: str = "TYPE1"):
    token = f"contains-{grid.public_id}-2"
    params = {
        "HITTypeId": hit_type,
        "MaxAssignments": assignments,
        "LifetimeInSeconds": 7 * 24 * 3600,
        "Question": external_question(task_url("contains", grid.public_id), 0),
        "RequesterAnnotation": token,
        "UniqueRequestToken": token,
    }
    hit = hit_response(
        hit_id, token, max_assignments=assignments, Expiration=ON_THE_MARKET, HITTypeId=hit_type
    )
    stub.add_response("create_hit_with_hit_type", {"HIT": hit}, params)


def test_nine_assignment_hit_gets_a_second_hit_for_the_answers_past_nine(campaign, stub, mturk):
    publish_grids(campaign, stub, mturk, 9)  # the paper's fixed design
    grid = ContainsGrid.objects.get(public_id="grid1pub")
    ask(grid, 9, 12)
    expect_second_hit(stub, grid, "GHIT1B", 3)
    report = extend_to_targets(mturk, campaign)
    stub.assert_no_pending_responses()
    assert report.published == {"GHIT1B": 3} and report.extended == {}
    hits = grid.hits.order_by("pk")
    assert list(hits.values_list("hit_id", "max_assignments", "hit_type_id")) == [
        ("GHIT1", 9, "TYPE1"),
        ("GHIT1B", 3, "TYPE1"),
    ]
    assert ContainsGrid.objects.get(public_id="grid2pub").hits.count() == 1

    # Deciding again on the same answers: no call at all (the Stubber would fail on one).
    again = extend_to_targets(mturk, campaign)
    assert again.published == again.extended == {}
    assert MTurkCall.objects.filter(operation="CreateHITWithHITType").count() == 3
    assert not MTurkCall.objects.filter(operation="CreateAdditionalAssignmentsForHIT").exists()


def test_no_second_hit_beyond_the_budget(campaign, stub, mturk):
    publish_grids(campaign, stub, mturk, 9)  # 18 x $0.24 = $4.32 committed
    campaign.mturk_budget = Decimal("4.50")  # 3 more at $0.24 would make $5.04
    campaign.save()
    ask(ContainsGrid.objects.get(public_id="grid1pub"), 9, 12)
    report = extend_to_targets(mturk, campaign)
    assert "Budget cap" in report.refused and report.published == {}
    assert Hit.objects.count() == 2
    assert MTurkCall.objects.filter(operation="CreateHITWithHITType").count() == 2


def test_a_hit_under_nine_is_extended_and_only_the_rest_goes_to_a_second_hit(campaign, stub, mturk):
    campaign.contains_min_assignments = 5
    campaign.save()
    publish_grids(campaign, stub, mturk, 5)
    grid1, grid2 = ContainsGrid.objects.filter(campaign=campaign).order_by("number")
    ask(grid1, 5, 8)  # 5 of 9, 3 more: the same HIT
    ask(grid2, 5, 12)  # 4 more on the HIT (to 9), 3 on a second one
    for hit_id, more in (("GHIT1", 3), ("GHIT2", 4)):
        stub.add_response(
            "create_additional_assignments_for_hit",
            {},
            {
                "HITId": hit_id,
                "NumberOfAdditionalAssignments": more,
                "UniqueRequestToken": f"extend-{hit_id}-{5 + more}",
            },
        )
        if hit_id == "GHIT2":
            expect_second_hit(stub, grid2, "GHIT2B", 3)
    report = extend_to_targets(mturk, campaign)
    stub.assert_no_pending_responses()
    assert report.extended == {"GHIT1": 3, "GHIT2": 4} and report.published == {"GHIT2B": 3}
    assert list(grid1.hits.values_list("max_assignments", flat=True)) == [8]
    assert sorted(grid2.hits.values_list("max_assignments", flat=True)) == [3, 9]
    assert extend_to_targets(mturk, campaign).assignments == 0


def test_second_hit_takes_new_workers_tells_earlier_ones_and_is_synced(
    make_campaign, client, stub, mturk
):
    campaign, grids = published_campaign(make_campaign)  # HIT<n>: 9 assignments each
    grid = grids[0]
    for n in range(9):
        assert submit_as(client, grid, f"A{n}", f"W{n}", [])[0] == 201
    ContainsAnswer.objects.filter(grid=grid).update(verification=Verification.CONFIRMED)
    assert submit_as(client, grid, "A9", "W9", [])[0] == 409  # full: 9 of 9

    ask(grid, 9, 12)
    expect_second_hit(stub, grid, "HIT1B", 3, hit_type=grid.hits.get().hit_type_id)
    assert extend_to_targets(mturk, campaign).published == {"HIT1B": 3}

    # W0 answered on HIT1: accepting HIT1B shows why it cannot be submitted (return it).
    config = page_config(
        client, page_url("contains", grid.public_id, **mturk_query("B0", "W0", "HIT1B"))
    )
    assert not config["can_submit"] and config["reason"] == ANSWERED_BEFORE
    # W0 reopening the assignment that holds the answer may still hand it in again.
    reopened = mturk_query("A0", "W0", f"HIT{grid.number}")
    assert page_config(client, page_url("contains", grid.public_id, **reopened))["can_submit"]

    # A new worker on the second HIT: taken (room for 12), then confirmed by the sync.
    query = mturk_query("B9", "W9", "HIT1B")
    config = page_config(client, page_url("contains", grid.public_id, **query))
    assert config["can_submit"]
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": []}
    )
    assert status == 201
    answer = ContainsAnswer.objects.get(pk=result["answer"])
    assert answer.verification == Verification.PENDING and answer.assignment.hit_id == "HIT1B"
    stub.add_response(
        "get_hit",
        {"HIT": {"HITId": "HIT1B", "HITStatus": "Assignable", "Expiration": ON_THE_MARKET}},
        {"HITId": "HIT1B"},
    )
    listed = [mturk_assignment("B9", "W9", hit_id="HIT1B", answer_id=answer.pk)]
    stub.add_response(
        "list_assignments_for_hit", {"Assignments": listed}, {**LIST, "HITId": "HIT1B"}
    )
    report = SyncReport()
    sync_hit(mturk, Hit.objects.get(hit_id="HIT1B"), report)
    answer.refresh_from_db()
    assert report.confirmed == 1 and answer.verification == Verification.CONFIRMED
