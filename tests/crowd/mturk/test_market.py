"""A paused or closed campaign's HITs leave the market, and a resumed one's come back
(botocore's Stubber): a worker must not accept work that the pages would refuse."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from botocore.stub import ANY
from django.utils import timezone

from crowd.models import ContainsGrid, Hit
from crowd.mturk.review import EXPIRE_NOW
from studio import lifecycle

pytestmark = pytest.mark.django_db


def make_hits(campaign) -> dict[str, Hit]:
    """Two HITs on the market and one that expired before anything happened."""
    now = timezone.now()
    grids = list(ContainsGrid.objects.filter(campaign=campaign).order_by("number"))
    hits = {}
    for hit_id, grid, expiration in (
        ("OPEN1", grids[0], now + timedelta(days=3)),
        ("OPEN2", grids[1], now + timedelta(days=3)),
        ("OLD", grids[0], now - timedelta(days=1)),
    ):
        hits[hit_id] = Hit.objects.create(
            campaign=campaign,
            kind="contains",
            grid=grid,
            sandbox=True,
            hit_id=hit_id,
            hit_type_id="TYPE1",
            unique_request_token=f"token-{hit_id}",
            max_assignments=9,
            reward=Decimal("0.20"),
            status="Assignable",
            created=now - timedelta(days=2),
            expiration=expiration,
        )
    return hits


def expect_expiry(stub, hit_id: str, expire_at=EXPIRE_NOW) -> None:
    stub.add_response("update_expiration_for_hit", {}, {"HITId": hit_id, "ExpireAt": expire_at})


def test_pause_takes_open_hits_off_and_resume_puts_back_those_it_took(campaign, stub):
    hits = make_hits(campaign)
    expect_expiry(stub, "OPEN1")
    expect_expiry(stub, "OPEN2")
    lifecycle.pause(campaign)
    stub.assert_no_pending_responses()
    assert all(h.expiration <= timezone.now() for h in Hit.objects.all())
    # Resuming reopens the two HITs the pause expired, not the one that had expired before.
    expect_expiry(stub, "OPEN1", ANY)
    expect_expiry(stub, "OPEN2", ANY)
    lifecycle.resume(campaign)
    stub.assert_no_pending_responses()
    reopened = Hit.objects.filter(expiration__gt=timezone.now())
    assert set(reopened.values_list("hit_id", flat=True)) == {"OPEN1", "OPEN2"}
    assert Hit.objects.get(hit_id="OLD").expiration == hits["OLD"].expiration
    # Closing takes them off for good.
    expect_expiry(stub, "OPEN1")
    expect_expiry(stub, "OPEN2")
    lifecycle.close(campaign)
    assert not Hit.objects.filter(expiration__gt=timezone.now()).exists()


def test_a_campaign_without_hits_makes_no_mturk_call(campaign, stub):
    lifecycle.pause(campaign)  # the Stubber has no response: any call would fail
    lifecycle.resume(campaign)
    lifecycle.close(campaign)
    campaign.refresh_from_db()
    assert campaign.closed_at is not None


def test_mturk_refusing_leaves_the_campaign_paused_and_says_what_to_do(campaign, stub):
    make_hits(campaign)
    stub.add_client_error("update_expiration_for_hit", "RequestError", "HIT not found")
    with pytest.raises(lifecycle.MarketNotUpdated, match="is paused, but its HITs on MTurk"):
        lifecycle.pause(campaign)
    campaign.refresh_from_db()
    assert campaign.paused_at is not None  # its pages refuse answers all the same
