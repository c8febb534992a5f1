"""A paused or closed campaign's HITs off the market, and back on when it resumes.

Its pages refuse answers while it is paused or closed, so a worker who accepted one of its
HITs would work for nothing: pausing or closing expires the HITs still open (submitted work
stays payable), and resuming gives those that pausing took off the campaign's HIT lifetime
again. Campaigns without HITs in this environment make no MTurk call at all.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from crowd.models import Hit
from crowd.mturk.client import live_mode
from crowd.mturk.gateway import MTurk
from crowd.mturk.hit_types import settings_for
from crowd.mturk.review import expire_hit, extend_hit
from pipeline.models import Campaign


def _hits(campaign: Campaign) -> QuerySet[Hit]:
    return Hit.objects.filter(campaign=campaign, sandbox=not live_mode()).order_by("pk")


def take_off_market(campaign: Campaign) -> int:
    """Expire the campaign's open HITs; how many were open."""
    hits = list(_hits(campaign).filter(expiration__gt=timezone.now()))
    if hits:
        mturk = MTurk(campaign=campaign)
        for hit in hits:
            expire_hit(mturk, hit)
    return len(hits)


def put_back_on_market(campaign: Campaign, since: dt.datetime) -> int:
    """Reopen, for the campaign's HIT lifetime, the HITs that expired at or after `since`
    (the pause) and are not done; how many."""
    now = timezone.now()
    hits = list(_hits(campaign).filter(expiration__gte=since, expiration__lte=now, done=False))
    if hits:
        mturk = MTurk(campaign=campaign)
        expire_at = now + dt.timedelta(seconds=settings_for(campaign).lifetime)
        for hit in hits:
            extend_hit(mturk, hit, expire_at=expire_at)
    return len(hits)
