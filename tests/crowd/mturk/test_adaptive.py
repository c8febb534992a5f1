"""Adaptive collection on MTurk (botocore's Stubber): HITs published with the minimum, then
CreateAdditionalAssignmentsForHIT on the same HIT where confirmed answers leave the outcome
unsettled, with the right counts, once per answers seen, within the budget."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from botocore.stub import ANY
from django.utils import timezone

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyTask,
    Hit,
    MTurkCall,
    Verification,
    Worker,
)
from crowd.mturk.adaptive import collect_more
from crowd.mturk.publish import plan_publish, publish
from pipeline.models import AnswerRequest
from pipeline.rules import adaptive as classify_rule
from tests.crowd.mturk.conftest import hit_response

ON_THE_MARKET = timezone.now() + timedelta(days=7)
TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01491361"


def give(task: ClassifyTask, worker: str, labels, main, verification=Verification.CONFIRMED):
    """One MTurk answer to a CLASSIFY task (confirmed: as the sync leaves those MTurk lists)."""
    w, _ = Worker.objects.get_or_create(source="mturk", external_id=worker)
    hit = task.hits.get()
    a = Assignment.objects.create(
        campaign=task.campaign,
        kind="classify",
        classify_task=task,
        worker=w,
        external_id=f"A-{worker}-{task.pk}",
        hit_id=hit.hit_id,
        status="submitted",
    )
    answer = ClassifyAnswer.objects.create(
        assignment=a, task=task, worker=w, main_label=main, verification=verification
    )
    for label in labels:
        ClassifyAnswerLabel.objects.create(answer=answer, label=label)
    return answer


@pytest.fixture
def adaptive_campaign(campaign):
    campaign.classify_min_assignments = 3
    campaign.classify_assignments = 9
    campaign.save()
    return campaign


def publish_classify(campaign, stub, mturk):
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, None)
    for i in range(3):
        params = {
            "HITTypeId": "TYPE1",
            "MaxAssignments": 3,  # the minimum, not the 9 of the fixed design
            "LifetimeInSeconds": ANY,
            "Question": ANY,
            "RequesterAnnotation": f"classify-task{i}pub",
            "UniqueRequestToken": f"classify-task{i}pub",
        }
        response = hit_response(
            f"CHIT{i}", f"classify-task{i}pub", max_assignments=3, Expiration=ON_THE_MARKET
        )
        stub.add_response("create_hit_with_hit_type", {"HIT": response}, params)
    publish(mturk, plan_publish(campaign, "classify", sandbox=True))


@pytest.mark.django_db
def test_unsettled_tasks_get_additional_assignments_on_their_hit(
    adaptive_campaign, catalogue, stub, mturk
):
    campaign = adaptive_campaign
    publish_classify(campaign, stub, mturk)
    tench, goldfish, shark = (catalogue[w] for w in (TENCH, GOLDFISH, SHARK))
    settled, split, short = ClassifyTask.objects.filter(campaign=campaign).order_by("pk")
    for w in ("W1", "W2", "W3"):
        give(settled, w, [tench], tench)
    votes = [([tench], tench), ([goldfish], goldfish), ([tench, shark], shark)]
    for w, (labels, main) in zip(("W1", "W2", "W3"), votes, strict=True):
        give(split, w, labels, main)
    give(short, "W1", [tench], tench)
    give(short, "W2", [tench], tench)
    waiting = give(short, "W3", [goldfish], goldfish, verification=Verification.PENDING)

    more = classify_rule.decide([([t.pk for t in ls], m.pk) for ls, m in votes], 3, 9).more
    assert more >= 1
    split_hit = split.hits.get()
    stub.add_response(
        "create_additional_assignments_for_hit",
        {},
        {
            "HITId": split_hit.hit_id,
            "NumberOfAdditionalAssignments": more,
            "UniqueRequestToken": f"extend-{split_hit.hit_id}-{3 + more}",
        },
    )
    assert collect_more(mturk, campaign) == more
    stub.assert_no_pending_responses()
    assert Hit.objects.get(pk=split_hit.pk).max_assignments == 3 + more
    # The settled task and the one still waiting for MTurk to confirm an answer get nothing.
    assert settled.hits.get().max_assignments == short.hits.get().max_assignments == 3

    # Again on the same answers: no call at all (the Stubber would fail on one).
    assert collect_more(mturk, campaign) == 0
    assert MTurkCall.objects.filter(operation="CreateAdditionalAssignmentsForHIT").count() == 1

    # The sync confirms the third answer of `short`: two against one, not settled.
    waiting.verification = Verification.CONFIRMED
    waiting.save()
    short_more = classify_rule.decide(
        [([tench.pk], tench.pk), ([tench.pk], tench.pk), ([goldfish.pk], goldfish.pk)], 3, 9
    ).more
    short_hit = short.hits.get()
    stub.add_response(
        "create_additional_assignments_for_hit",
        {},
        {
            "HITId": short_hit.hit_id,
            "NumberOfAdditionalAssignments": short_more,
            "UniqueRequestToken": f"extend-{short_hit.hit_id}-{3 + short_more}",
        },
    )
    assert collect_more(mturk, campaign) == short_more
    requests = AnswerRequest.objects.filter(campaign=campaign, kind="classify")
    assert sorted(requests.values_list("classify_task_id", "answers_seen", "target")) == sorted(
        [(split.pk, 3, 3 + more), (short.pk, 3, 3 + short_more)]
    )


@pytest.mark.django_db
def test_no_extension_beyond_the_budget(adaptive_campaign, catalogue, stub, mturk):
    campaign = adaptive_campaign
    publish_classify(campaign, stub, mturk)
    campaign.mturk_budget = Decimal("0.90")  # 9 published assignments x $0.096 = $0.864
    campaign.save()
    tench, goldfish = catalogue[TENCH], catalogue[GOLDFISH]
    split = ClassifyTask.objects.filter(campaign=campaign).order_by("pk")[1]
    give(split, "W1", [tench], tench)
    give(split, "W2", [goldfish], goldfish)
    give(split, "W3", [tench], goldfish)
    assert collect_more(mturk, campaign) == 0  # refused before any call
    assert split.hits.get().max_assignments == 3
    assert not MTurkCall.objects.filter(operation="CreateAdditionalAssignmentsForHIT").exists()
