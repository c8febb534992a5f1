"""The campaign's admin page shows its MTurk figures and the answers waiting for MTurk; the
MTurk tables are listed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crowd.models import Assignment, ContainsAnswer, ContainsGrid, Hit, Verification, Worker
from tests.crowd.mturk.conftest import CREATED

pytestmark = pytest.mark.django_db


def test_campaign_page_shows_hits_money_and_projection(campaign, admin_client):
    campaign.mturk_budget = Decimal("50")
    campaign.save()
    Hit.objects.create(
        campaign=campaign,
        kind="contains",
        grid=ContainsGrid.objects.get(number=1),
        sandbox=True,
        hit_id="HIT1",
        hit_type_id="T",
        unique_request_token="contains-grid1pub",
        max_assignments=9,
        reward=Decimal("0.20"),
        status="Assignable",
        created=CREATED,
        expiration=timezone.now() + timedelta(days=1),
    )
    grid = ContainsGrid.objects.get(number=1)
    for n, state in enumerate(["pending", "pending", "unconfirmed"]):
        worker = Worker.objects.create(source="mturk", external_id=f"W{n}")
        a = Assignment.objects.create(
            campaign=campaign, kind="contains", grid=grid, worker=worker, external_id=f"A{n}"
        )
        ContainsAnswer.objects.create(assignment=a, grid=grid, worker=worker, verification=state)
    page = admin_client.get(reverse("admin:pipeline_campaign_change", args=[campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Answers waiting for MTurk</th><td>CONTAINS 2, CLASSIFY 0" in html
    assert "Answers MTurk did not confirm</th><td>CONTAINS 1, CLASSIFY 0" in html
    answers = admin_client.get(
        reverse("admin:crowd_containsanswer_changelist"), {"verification": Verification.PENDING}
    )
    assert answers.status_code == 200 and "2 contains answers" in answers.content.decode()
    assert "CONTAINS 1, CLASSIFY 0" in html  # published
    assert "CONTAINS 1, CLASSIFY 3" in html  # not published yet
    assert "$2.16" in html  # committed: 9 x $0.24
    assert "$6.91" in html  # projected: 2.16 + another grid 2.16 + 27 x $0.096 = 6.912
    for name in ["hit", "mturkcall", "bonus", "mturksettings"]:
        assert admin_client.get(reverse(f"admin:crowd_{name}_changelist")).status_code == 200
