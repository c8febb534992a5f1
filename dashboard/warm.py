"""Warming a campaign's dashboard: compute its analyses, draw its charts and galleries into
the cache, so the page a researcher opens after a stage finishes is a cache hit.

A stage run that finishes queues `dashboard.warm` (when a broker runs Celery workers; with
tasks running eagerly in-process it would slow every stage, so it is off there by default)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from dashboard import charts as ch
from dashboard.analyses import campaign_analyses
from dashboard.gc_pause import without_gc
from pipeline.models import Campaign, StageRun


@without_gc
def warm_dashboard(campaign: Campaign) -> int:
    """Fill the cache with what the campaign's page shows; the number of charts drawn."""
    from dashboard.views import cached_lists

    an = campaign_analyses(campaign)
    drawn, _ = ch.page_charts(campaign, an)
    cached_lists(campaign, an)
    return len(drawn)


@shared_task(name="dashboard.warm", ignore_result=True)
def warm(campaign_id: int) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        warm_dashboard(campaign)


def on_stage_run_saved(sender, instance: StageRun, **kwargs) -> None:
    if instance.status == StageRun.Status.DONE and prewarm_enabled():
        transaction.on_commit(lambda: warm.delay(instance.campaign_id))


def prewarm_enabled() -> bool:
    return settings.FINELABEL_DASHBOARD_PREWARM


def connect() -> None:
    post_save.connect(on_stage_run_saved, sender=StageRun, dispatch_uid="dashboard-prewarm")
