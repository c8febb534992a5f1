"""Publishing: dry run and its cost, the budget cap, exact calls, retries that never publish
twice, throttling."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from crowd.models import ContainsGrid, Hit, MTurkCall, MTurkSettings
from crowd.mturk.costs import BatchCost
from crowd.mturk.hit_types import EXTERNAL_QUESTION_NS
from crowd.mturk.publish import PublishRefused, plan_publish, publish
from tests.crowd.mturk.conftest import CREATED, PUBLIC_URL, hit_response

pytestmark = pytest.mark.django_db

NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/"
    "ExternalQuestion.xsd"
)
CONTAINS_TYPE = {
    "AutoApprovalDelayInSeconds": 3 * 24 * 3600,
    "AssignmentDurationInSeconds": 20 * 60,
    "Reward": "0.20",
    "Title": "Find the pictures that contain an object of a given kind",
    "Keywords": "image, picture, labeling, categorization, objects",
    "Description": "Look at a grid of pictures and select every picture that contains an object "
    "of the kind described at the top.",
    "QualificationRequirements": [
        {
            "QualificationTypeId": "00000000000000000071",
            "Comparator": "In",
            "LocaleValues": [{"Country": "US"}, {"Country": "CA"}],
            "ActionsGuarded": "Accept",
        },
        {
            "QualificationTypeId": "000000000000000000L0",
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
            "ActionsGuarded": "Accept",
        },
        {
            "QualificationTypeId": "00000000000000000040",
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [1000],
            "ActionsGuarded": "Accept",
        },
        {
            "QualificationTypeId": "SCREENQUAL",
            "Comparator": "Exists",
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
        {
            "QualificationTypeId": "EXCLUDEQUAL",
            "Comparator": "DoesNotExist",
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
    ],
}


CLASSIFY_TYPE = {
    "AutoApprovalDelayInSeconds": 3 * 24 * 3600,
    "AssignmentDurationInSeconds": 10 * 60,
    "Reward": "0.08",
    "Title": "Name the objects in a picture",
    "Keywords": "image, picture, labeling, categorization, objects",
    "Description": "Look at one picture, select every label that names an object in it, and "
    "the label of the main object.",
    "QualificationRequirements": CONTAINS_TYPE["QualificationRequirements"],
}


def question(kind: str, public_id: str, frame_height: int = 0) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ExternalQuestion xmlns="{NS}">'
        f"<ExternalURL>{PUBLIC_URL}/hit/{kind}/{public_id}/</ExternalURL>"
        f"<FrameHeight>{frame_height}</FrameHeight></ExternalQuestion>"
    )


def create_hit_params(
    kind: str, public_id: str, max_assignments: int = 9, frame_height: int = 0
) -> dict:
    token = f"{kind}-{public_id}"
    return {
        "HITTypeId": "TYPE1",
        "MaxAssignments": max_assignments,
        "LifetimeInSeconds": 7 * 24 * 3600,
        "Question": question(kind, public_id, frame_height),
        "RequesterAnnotation": token,
        "UniqueRequestToken": token,
    }


@pytest.fixture
def qualified(campaign):
    MTurkSettings.objects.create(
        campaign=campaign,
        locales="US, ca",
        screening_qualification="SCREENQUAL",
        exclusion_qualification="EXCLUDEQUAL",
    )
    return campaign


def run(*args: str, stdin=None) -> str:
    out = io.StringIO()
    call_command("mturk", *args, stdout=out, stderr=io.StringIO(), stdin=stdin)
    return out.getvalue()


def test_paper_costs_in_decimal():
    contains = BatchCost(3934, Decimal("0.20"), 9)  # the paper's 3,934 grids
    assert contains.rewards == Decimal("7081.20")
    assert contains.fees == Decimal("1416.24")
    assert contains.total == Decimal("8497.44")
    # 10 assignments or more: the fee is 40%.
    assert BatchCost(100, Decimal("0.08"), 10).total == Decimal("112.00")
    assert BatchCost(100, Decimal("0.08"), 9).total == Decimal("86.40")
    # MTurk's minimum fee of one cent per assignment.
    assert BatchCost(1, Decimal("0.02"), 1).total == Decimal("0.03")


def test_external_question_follows_the_schema(campaign):
    from crowd.mturk.hit_types import external_question, task_url

    xml = external_question(task_url("classify", "abc_-1"), 700)
    root = ET.fromstring(xml.split("\n", 1)[1])
    assert root.tag == f"{{{EXTERNAL_QUESTION_NS}}}ExternalQuestion"
    assert [child.tag.split("}")[1] for child in root] == ["ExternalURL", "FrameHeight"]
    assert root[0].text == f"{PUBLIC_URL}/hit/classify/abc_-1/"
    assert root[1].text == "700"


def test_dry_run_prints_hits_and_full_cost_and_calls_nothing(campaign, stub):
    campaign.mturk_budget = Decimal("100.00")
    campaign.save()
    out = run("publish", "--campaign", str(campaign.pk), "--stage", "contains", "--dry-run")
    assert "HITs to publish: 2 (0 already published)" in out
    assert "Assignments: 18 (9 per HIT, reward $0.20 each)" in out
    assert "Rewards: $3.60" in out
    assert "MTurk fee (20%): $0.72" in out
    assert "Total cost: $4.32" in out
    assert "left after publishing: $95.68" in out
    assert "Dry run: nothing published." in out
    assert not MTurkCall.objects.exists() and not Hit.objects.exists()


def test_dry_run_with_ten_assignments_uses_the_40_percent_fee(campaign, stub):
    campaign.classify_assignments = 10
    campaign.save()
    out = run("publish", "--campaign", campaign.name, "--stage", "classify", "--dry-run")
    assert "HITs to publish: 3" in out
    assert "MTurk fee (40%): $0.96" in out  # 30 x $0.08 x 40%
    assert "Total cost: $3.36" in out


def test_publish_sends_exact_calls_and_stores_hits(qualified, stub):
    campaign = qualified
    stub.add_response("get_account_balance", {"AvailableBalance": "10000.00"}, {})
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CONTAINS_TYPE)
    for n, hit_id in [(1, "HIT1"), (2, "HIT2")]:
        stub.add_response(
            "create_hit_with_hit_type",
            {"HIT": hit_response(hit_id, f"contains-grid{n}pub")},
            create_hit_params("contains", f"grid{n}pub"),
        )
    out = run("publish", "--campaign", str(campaign.pk), "--stage", "contains")
    assert "Account balance: $10,000.00" in out
    assert "Published 2 HITs" in out
    hits = list(Hit.objects.order_by("hit_id"))
    assert [(h.hit_id, h.grid.number, h.kind, h.sandbox) for h in hits] == [
        ("HIT1", 1, "contains", True),
        ("HIT2", 2, "contains", True),
    ]
    assert hits[0].max_assignments == 9 and hits[0].reward == Decimal("0.20")
    assert hits[0].expiration == CREATED + timedelta(days=7)
    assert hits[0].unique_request_token == "contains-grid1pub"
    # Every call is logged, parameters and result.
    ops = list(MTurkCall.objects.order_by("id").values_list("operation", flat=True))
    assert ops == ["GetAccountBalance", "CreateHITType"] + ["CreateHITWithHITType"] * 2
    logged = MTurkCall.objects.filter(operation="CreateHITType").get()
    assert logged.sandbox and logged.parameters["Reward"] == "0.20"
    assert logged.result == {"HITTypeId": "TYPE1"} and logged.campaign == campaign


def test_publish_classify_sends_exact_calls_and_stores_hits(qualified, stub):
    """CLASSIFY HITs: their own HIT type (title, description, $0.08, 10 minutes), one HIT per
    task with the campaign's answers per task and the settings' frame height."""
    campaign = qualified
    campaign.classify_assignments = 5
    campaign.save()
    MTurkSettings.objects.filter(campaign=campaign).update(frame_height=800)
    stub.add_response("get_account_balance", {"AvailableBalance": "10000.00"}, {})
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CLASSIFY_TYPE)
    for i in range(3):
        stub.add_response(
            "create_hit_with_hit_type",
            {
                "HIT": hit_response(
                    f"CHIT{i}", f"classify-task{i}pub", max_assignments=5, reward="0.08"
                )
            },
            create_hit_params("classify", f"task{i}pub", max_assignments=5, frame_height=800),
        )
    out = run("publish", "--campaign", str(campaign.pk), "--stage", "classify")
    assert "Assignments: 15 (5 per HIT, reward $0.08 each)" in out
    assert "Published 3 HITs" in out
    hits = list(Hit.objects.order_by("hit_id"))
    assert [(h.hit_id, h.classify_task.public_id, h.kind, h.grid) for h in hits] == [
        (f"CHIT{i}", f"task{i}pub", "classify", None) for i in range(3)
    ]
    assert {(h.max_assignments, h.reward) for h in hits} == {(5, Decimal("0.08"))}
    assert [h.unique_request_token for h in hits] == [f"classify-task{i}pub" for i in range(3)]


def test_publishing_again_publishes_nothing_twice(qualified, stub):
    stub.add_response("get_account_balance", {"AvailableBalance": "10000.00"}, {})
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CONTAINS_TYPE)
    stub.add_response(
        "create_hit_with_hit_type",
        {"HIT": hit_response("HIT1", "contains-grid1pub")},
        create_hit_params("contains", "grid1pub"),
    )
    run("publish", "--campaign", str(qualified.pk), "--stage", "contains", "--limit", "1")
    assert Hit.objects.count() == 1
    out = run("publish", "--campaign", str(qualified.pk), "--stage", "contains", "--dry-run")
    assert "HITs to publish: 1 (1 already published)" in out
    # The last grid published, a further run has nothing to send.
    stub.add_response("get_account_balance", {"AvailableBalance": "10000.00"}, {})
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CONTAINS_TYPE)
    stub.add_response(
        "create_hit_with_hit_type",
        {"HIT": hit_response("HIT2", "contains-grid2pub")},
        create_hit_params("contains", "grid2pub"),
    )
    run("publish", "--campaign", str(qualified.pk), "--stage", "contains")
    assert "Nothing to publish." in run(
        "publish", "--campaign", str(qualified.pk), "--stage", "contains"
    )
    assert Hit.objects.count() == 2


def test_retry_after_a_lost_response_finds_the_hit_by_its_token(qualified, stub, mturk):
    """MTurk created HIT2 but the answer never reached us: the retry's repeated token is
    refused, and the HIT is found by its annotation instead of being published twice."""
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CONTAINS_TYPE)
    stub.add_response(
        "create_hit_with_hit_type",
        {"HIT": hit_response("HIT1", "contains-grid1pub")},
        create_hit_params("contains", "grid1pub"),
    )
    stub.add_client_error(
        "create_hit_with_hit_type",
        service_error_code="RequestError",
        service_message='The idempotency token "contains-grid2pub" has already been processed.',
        http_status_code=400,
        expected_params=create_hit_params("contains", "grid2pub"),
    )
    stub.add_response(
        "list_hits",
        {"HITs": [hit_response("OTHER", "classify-x")], "NextToken": "page2", "NumResults": 1},
        {"MaxResults": 100},
    )
    stub.add_response(
        "list_hits",
        {"HITs": [hit_response("HIT2", "contains-grid2pub")], "NumResults": 1},
        {"MaxResults": 100, "NextToken": "page2"},
    )
    plan = plan_publish(qualified, "contains", sandbox=True)
    hits = publish(mturk, plan)
    assert [h.hit_id for h in hits] == ["HIT1", "HIT2"]
    assert Hit.objects.get(hit_id="HIT2").grid == ContainsGrid.objects.get(number=2)
    assert Hit.objects.count() == 2


def test_throttled_call_is_retried_with_backoff_and_each_attempt_logged(qualified, stub, mturk):
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, CONTAINS_TYPE)
    stub.add_client_error(
        "create_hit_with_hit_type",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
        expected_params=create_hit_params("contains", "grid1pub"),
    )
    stub.add_client_error(
        "create_hit_with_hit_type",
        service_error_code="ServiceUnavailable",
        service_message="Try later",
        http_status_code=503,
        expected_params=create_hit_params("contains", "grid1pub"),
    )
    stub.add_response(
        "create_hit_with_hit_type",
        {"HIT": hit_response("HIT1", "contains-grid1pub")},
        create_hit_params("contains", "grid1pub"),
    )
    publish(mturk, plan_publish(qualified, "contains", sandbox=True, limit=1))
    assert len(mturk.sleeps) == 2 and all(s >= 0 for s in mturk.sleeps)
    attempts = list(
        MTurkCall.objects.filter(operation="CreateHITWithHITType")
        .order_by("id")
        .values_list("attempt", "error_code")
    )
    assert attempts == [(1, "ThrottlingException"), (2, "ServiceUnavailable"), (3, "")]
    assert Hit.objects.count() == 1


def test_budget_cap_refuses_and_counts_what_is_committed(qualified, stub):
    qualified.mturk_budget = Decimal("4.50")
    qualified.save()
    # One grid is already on the market: 9 x $0.24 = $2.16 committed.
    Hit.objects.create(
        campaign=qualified,
        kind="contains",
        grid=ContainsGrid.objects.get(number=1),
        sandbox=True,
        hit_id="OLD",
        hit_type_id="TYPE1",
        unique_request_token="contains-grid1pub",
        max_assignments=9,
        reward=Decimal("0.20"),
        status="Assignable",
        created=CREATED,
        expiration=CREATED + timedelta(days=3650),
    )
    out = run("publish", "--campaign", str(qualified.pk), "--stage", "classify", "--dry-run")
    assert "Total cost: $2.59" in out  # 3 x 9 x $0.096 = $2.592
    assert "Already spent and committed: $2.16" in out
    assert "OVER BUDGET by $0.25" in out  # $2.16 + $2.592 = $4.752
    with pytest.raises(CommandError, match="Budget cap of \\$4.50 would be exceeded"):
        run("publish", "--campaign", str(qualified.pk), "--stage", "classify")
    assert not MTurkCall.objects.exists()
    assert Hit.objects.count() == 1


def test_publish_refuses_when_the_balance_is_short(qualified, stub, mturk):
    stub.add_response("get_account_balance", {"AvailableBalance": "1.00"}, {})
    with pytest.raises(CommandError, match=r"account holds \$1.00, publishing needs \$4.32"):
        run("publish", "--campaign", str(qualified.pk), "--stage", "contains")
    assert not Hit.objects.exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [("http://labels.example.org", "https://"), ("https://nowhere.invalid", "does not resolve")],
)
def test_publish_checks_the_public_url_before_calling_mturk(qualified, stub, settings, url, says):
    """MTurk frames only https pages from a host workers can resolve: checked before any call
    (the stub has no response queued: a call would fail the test)."""
    settings.FINELABEL_PUBLIC_URL = url
    with pytest.raises(CommandError, match="FINELABEL_PUBLIC_URL") as error:
        run("publish", "--campaign", str(qualified.pk), "--stage", "contains")
    assert says in str(error.value) and "\n" not in str(error.value)
    assert not Hit.objects.exists() and not MTurkCall.objects.exists()
    assert "Publishing will be refused" in run(
        "publish", "--campaign", str(qualified.pk), "--stage", "contains", "--dry-run"
    )


def test_plan_refuses_an_unknown_stage(campaign):
    with pytest.raises(ValueError, match="Unknown stage"):
        plan_publish(campaign, "grids", sandbox=True)


def test_live_publish_needs_a_budget(campaign, live_stub):
    with pytest.raises(CommandError, match="budget"):
        run(
            "publish",
            "--campaign",
            str(campaign.pk),
            "--stage",
            "contains",
            "--i-understand-this-spends-money",
        )
    assert not MTurkCall.objects.exists()


def test_refused_plan_raises_in_the_service_too(qualified, mturk):
    qualified.mturk_budget = Decimal("1.00")
    qualified.save()
    with pytest.raises(PublishRefused):
        publish(mturk, plan_publish(qualified, "contains", sandbox=True))
