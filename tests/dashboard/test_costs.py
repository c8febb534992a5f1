"""The dashboard's money figures: rewards plus MTurk's fee, per paid assignment."""

from decimal import Decimal

import pytest

from annotation.models import Assignment, Worker
from dashboard.costs import campaign_costs
from tests.hits.factories import make_campaign, make_grid

pytestmark = pytest.mark.django_db


def test_spent_and_committed_carry_the_fee_of_the_task_size():
    campaign = make_campaign()  # CONTAINS: $0.20 x 9 answers per grid, so a 20% fee
    grids = [make_grid(campaign, size=6, controls=1, seed=i) for i in range(2)]
    statuses = [Assignment.Status.APPROVED] * 3 + [Assignment.Status.SUBMITTED] * 2
    for n, status in enumerate(statuses):
        worker = Worker.objects.create(external_id=f"W{n}")
        Assignment.objects.create(
            campaign=campaign, kind="contains", grid=grids[n % 2], worker=worker, status=status
        )
    contains = campaign_costs(campaign).kinds[0]
    assert (contains.planned, contains.approved, contains.pending) == (18, 3, 2)
    assert contains.unit_cost == Decimal("0.24")
    assert contains.spent == Decimal("0.72")
    assert contains.committed == Decimal("3.60")  # the 15 planned answers not yet approved

    campaign.contains_assignments = 10  # 10 or more assignments: MTurk charges 40%
    campaign.save()
    assert campaign_costs(campaign).kinds[0].unit_cost == Decimal("0.28")
