"""Publishing a started campaign's grids to its crowd: MTurk HITs through crowd.mturk.publish
(budget, balance and pause checked there), or nothing for a local crowd, whose annotators
open their invite links (`invite_links`)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from core.errors import FinelabelError
from crowd.models import Hit
from crowd.mturk.client import live_mode
from crowd.mturk.gateway import MTurk
from crowd.mturk.publish import account_balance, check_publishable, plan_publish, publish
from pipeline.models import Campaign
from studio.planning import LOCAL, crowd_of


def publish_contains(campaign: Campaign) -> list[str]:
    """Publish the grids not published yet; one line per thing done."""
    if crowd_of(campaign) == LOCAL:
        return [
            "Local crowd: give each annotator their links with "
            f"`manage.py invite_links --campaign {campaign.pk} --worker NAME`."
        ]
    plan = plan_publish(campaign, Hit.Kind.CONTAINS, sandbox=not live_mode())
    check_publishable(plan)
    if not plan.tasks:
        return ["Every grid is published already."]
    try:
        mturk = MTurk(campaign=campaign)
        hits = publish(mturk, plan, balance=account_balance(mturk))
    except ImproperlyConfigured as exc:
        raise FinelabelError(str(exc)) from exc
    return [*plan.describe(), f"Published {len(hits)} HITs."]
