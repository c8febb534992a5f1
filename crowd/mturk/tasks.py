"""Celery tasks of the MTurk package (routed to the `mturk` queue by settings)."""

from __future__ import annotations

from celery import shared_task

from crowd.models import Hit
from crowd.mturk.adaptive import collect_more
from crowd.mturk.client import live_mode
from crowd.mturk.gateway import MTurk
from crowd.mturk.sync import sync_campaign
from pipeline.models import Campaign


@shared_task(name="crowd.mturk.sync_open_hits")
def sync_open_hits() -> dict:
    """Beat: sync every campaign that has open HITs in the current environment."""
    sandbox = not live_mode()
    campaign_ids = Hit.objects.filter(sandbox=sandbox, done=False).values_list(
        "campaign", flat=True
    )
    out = {}
    for campaign in Campaign.objects.filter(pk__in=campaign_ids).order_by("pk"):
        mturk = MTurk(campaign=campaign)
        report = sync_campaign(mturk, campaign)
        # Adaptive campaigns: weigh the answers just confirmed, extend unsettled HITs.
        extended = collect_more(mturk, campaign)
        out[campaign.name] = {
            "extended": extended,
            "hits": report.hits,
            "updated": report.updated,
            "confirmed": report.confirmed,
            "unconfirmed": len(report.unconfirmed),
            "answers_without_assignment": len(report.answers_without_assignment),
            "assignments_without_answer": len(report.assignments_without_answer),
        }
    return out
