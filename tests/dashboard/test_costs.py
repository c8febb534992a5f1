"""The dashboard's money figures: the MTurk summary's (one source of truth), per stage and in
total, MTurk's fee included; a local crowd involves no money."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from crowd.models import Assignment, Bonus, Hit, Worker
from crowd.mturk.selectors import mturk_summary
from dashboard.costs import campaign_costs
from pipeline.models import Campaign
from tests.crowd.factories import make_campaign, make_classify_task, make_grid

pytestmark = pytest.mark.django_db

_serial = count(1)


@pytest.fixture(autouse=True)
def sandbox(settings):
    settings.FINELABEL_MTURK_LIVE = False


def publish_hit(campaign: Campaign, task, *, expired: bool = False, sandbox: bool = True) -> Hit:
    """A HIT row as `mturk publish` stores it: the campaign's reward and assignments."""
    contains = task.__class__.__name__ == "ContainsGrid"
    kind = "contains" if contains else "classify"
    now = timezone.now()
    return Hit.objects.create(
        campaign=campaign,
        kind=kind,
        grid=task if contains else None,
        classify_task=None if contains else task,
        sandbox=sandbox,
        hit_id=f"HIT{next(_serial)}",
        hit_type_id="TYPE1",
        unique_request_token=f"{kind}-{task.public_id}",
        max_assignments=campaign.contains_assignments
        if contains
        else campaign.classify_assignments,
        reward=campaign.contains_reward if contains else campaign.classify_reward,
        status="Assignable",
        created=now - timedelta(days=1),
        expiration=now - timedelta(hours=1) if expired else now + timedelta(days=6),
    )


def work(hit: Hit, *statuses: str) -> list[Assignment]:
    """One MTurk worker's assignment on the HIT per status."""
    made = []
    for status in statuses:
        n = next(_serial)
        worker = Worker.objects.create(source=Worker.Source.MTURK, external_id=f"W{n}")
        made.append(
            Assignment.objects.create(
                campaign=hit.campaign,
                kind=hit.kind,
                grid=hit.grid,
                classify_task=hit.classify_task,
                worker=worker,
                external_id=f"A{n}",
                hit_id=hit.hit_id,
                status=status,
            )
        )
    return made


def bonus(assignment: Assignment, amount: str, *, sent: bool = True) -> Bonus:
    return Bonus.objects.create(
        campaign=assignment.campaign,
        assignment=assignment,
        worker=assignment.worker,
        sandbox=True,
        amount=Decimal(amount),
        reason="careful work",
        unique_request_token=f"bonus-{assignment.external_id}",
        sent_at=timezone.now() if sent else None,
    )


def paid_campaign() -> Campaign:
    """3 grids (2 published: one open, one expired) and 2 CLASSIFY tasks (1 published), at
    the paper's $0.20 / $0.08 x 9 assignments (20% fee: $0.24 / $0.096 an assignment), some
    assignments approved, rejected or to review, and a $0.50 bonus (a second one not sent)."""
    campaign = make_campaign()
    grids = [make_grid(campaign, size=4, controls=1, seed=i) for i in range(3)]
    tasks = [make_classify_task(campaign, options=3) for _ in range(2)]
    open_hit, expired_hit = (
        publish_hit(campaign, grids[0]),
        publish_hit(campaign, grids[1], expired=True),
    )
    classify_hit = publish_hit(campaign, tasks[0])
    publish_hit(campaign, grids[2], sandbox=False)  # the live market: not this environment
    S = Assignment.Status
    approved = work(open_hit, S.APPROVED, S.APPROVED, S.APPROVED, S.REJECTED, S.SUBMITTED)
    work(open_hit, S.ACCEPTED)  # under way: not done yet
    work(expired_hit, S.APPROVED, S.APPROVED, S.SUBMITTED)
    work(classify_hit, S.APPROVED, S.APPROVED)
    bonus(approved[0], "0.50")
    bonus(approved[1], "2.00", sent=False)  # not taken by MTurk yet: nothing spent
    return campaign


# CONTAINS: spent 5 x $0.24 + $0.50 bonus + 20% = $1.80; committed: the open HIT's 9 slots
# less 4 reviewed ($1.20) and the expired HIT's one to review ($0.24); one grid to publish:
# 9 x $0.24. CLASSIFY: 2 x $0.096 spent, 7 x $0.096 committed, 9 x $0.096 to publish.
EXPECTED = {
    "contains": dict(
        hits=2,
        unpublished=1,
        assignments_done=8,
        assignments_expected=27,
        approved=5,
        rejected=1,
        submitted=2,
        spent=Decimal("1.80"),
        spent_bonuses=Decimal("0.60"),
        committed=Decimal("1.44"),
        unpublished_cost=Decimal("2.16"),
        projected_total=Decimal("5.40"),
    ),
    "classify": dict(
        hits=1,
        unpublished=1,
        assignments_done=2,
        assignments_expected=18,
        approved=2,
        rejected=0,
        submitted=0,
        spent=Decimal("0.192"),
        spent_bonuses=Decimal("0"),
        committed=Decimal("0.672"),
        unpublished_cost=Decimal("0.864"),
        projected_total=Decimal("1.728"),
    ),
}
TOTAL = dict(
    hits_published=3,
    hits_unpublished=2,
    assignments_done=10,
    assignments_expected=45,
    spent=Decimal("1.992"),
    committed=Decimal("2.112"),
    projected_total=Decimal("7.128"),
)


def figures(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def test_published_hits_assignments_and_money_per_stage_and_in_total():
    campaign = paid_campaign()
    costs = campaign_costs(campaign)
    assert costs.sandbox and list(costs.stages) == ["contains", "classify"]
    for kind, expected in EXPECTED.items():
        assert figures(costs.stages[kind], expected) == expected, kind
    assert figures(costs, TOTAL) == TOTAL
    assert costs.stages["contains"].unit_cost == Decimal("0.24")
    # One source of truth: the admin's and `mturk summary`'s figures.
    assert costs == mturk_summary(campaign)


def test_tasks_to_publish_cost_the_fee_of_their_size():
    campaign = make_campaign()
    make_grid(campaign, size=4, controls=1)
    contains = campaign_costs(campaign).stages["contains"]
    assert contains.unpublished_cost == Decimal("2.16")  # 9 x ($0.20 + 20%)
    campaign.contains_assignments = 10  # 10 or more assignments: MTurk charges 40%
    campaign.save()
    contains = campaign_costs(campaign).stages["contains"]
    assert contains.unit_cost == Decimal("0.28")
    assert contains.unpublished_cost == Decimal("2.80")
    assert campaign_costs(campaign).projected_total == Decimal("2.80")


def test_a_local_crowd_involves_no_money():
    campaign = make_campaign()
    grid = make_grid(campaign, size=4, controls=1)
    worker = Worker.objects.create(source=Worker.Source.LOCAL, external_id="alice")
    Assignment.objects.create(
        campaign=campaign, kind="contains", grid=grid, worker=worker, status="submitted"
    )
    assert campaign_costs(campaign) is None
    # Once it has a budget (or a HIT), it is an MTurk campaign again.
    campaign.mturk_budget = Decimal("10.00")
    campaign.save()
    assert campaign_costs(campaign).unpublished == {"contains": 1, "classify": 0}
