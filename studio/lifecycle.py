"""A campaign's life, one action function per change (the page and the `campaign` command call
these, nothing else writes): create, start, pause, resume, close.

Start runs stage 1 (the model ensemble) when the campaign has no potential labels, builds the
grids when it has none, and publishes them on MTurk for an MTurk crowd (a local crowd answers
through invite links: `invite_links`). The later stages run as before (`contains all`,
`classify ...`, pipeline.tasks). With a broker the work goes to the gpu queue and start
returns at once; on the embedded default it runs in the request. A paused campaign publishes
nothing and its pages take no answers until resumed; a closed one never again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import FinelabelError
from crowd.mturk import market
from crowd.services.task_facts import forget_campaign
from pipeline.models import Campaign
from studio.planning import LIVE, LOCAL, SANDBOX, crowd_of


class CampaignRefused(FinelabelError):
    """The campaign cannot do this now (closed, paused, already started)."""

    status = 409
    code = "refused"


def check_crowd(crowd: str, budget: Any) -> dict[str, str]:
    """Field errors of a crowd choice: an MTurk crowd needs a budget (a local one none), and
    the choice must match the market this server publishes to (FINELABEL_MTURK_LIVE)."""
    live = bool(settings.FINELABEL_MTURK_LIVE)
    budget = None if budget == "" else budget  # a zero budget is a budget
    if crowd not in (LOCAL, SANDBOX, LIVE):
        return {"crowd": f"Unknown crowd {crowd!r}: choose local, sandbox or live."}
    if crowd == LOCAL:
        return (
            {"mturk_budget": "A local crowd is not paid: leave the budget empty."}
            if budget is not None
            else {}
        )
    if budget is None:
        return {"mturk_budget": "Set the most this campaign may cost on MTurk (USD)."}
    if crowd == LIVE and not live:
        return {
            "crowd": "This server publishes to the MTurk sandbox (FINELABEL_MTURK_LIVE is off)."
        }
    if crowd == SANDBOX and live:
        return {"crowd": "This server publishes to live MTurk (FINELABEL_MTURK_LIVE is on)."}
    return {}


def one_line(error: ValidationError) -> str:
    """A model's validation errors as one line: `field: message; ...`."""
    if hasattr(error, "message_dict"):
        return "; ".join(f"{f}: {' '.join(m)}" for f, m in error.message_dict.items())
    return " ".join(error.messages)


def create_campaign(owner: Any, crowd: str, **fields: Any) -> Campaign:
    """A new draft campaign owned by `owner`, checked like the admin's form (the ensemble must
    be registered); ValidationError with field messages when anything is wrong."""
    errors = check_crowd(crowd, fields.get("mturk_budget"))
    if errors:
        raise ValidationError(errors)
    campaign = Campaign(owner=owner, **fields)
    campaign.full_clean()
    campaign.save()
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _stamp(campaign: Campaign, **changes: Any) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(**changes)
    campaign.refresh_from_db()
    forget_campaign(campaign.pk)  # the HIT pages show the change now
    return campaign


def pause(campaign: Campaign) -> Campaign:
    with transaction.atomic():
        current = _locked(campaign)
        if current.closed_at is not None:
            raise CampaignRefused(f"Campaign {campaign.name!r} is closed: it cannot be paused.")
        if current.paused_at is not None:
            return current
        paused = _stamp(campaign, paused_at=timezone.now())
    _on_market(paused, "paused", market.take_off_market)
    return paused


def resume(campaign: Campaign) -> Campaign:
    with transaction.atomic():
        current = _locked(campaign)
        if current.closed_at is not None:
            raise CampaignRefused(f"Campaign {campaign.name!r} is closed: it cannot be resumed.")
        if current.paused_at is None:
            return current
        since = current.paused_at
        resumed = _stamp(campaign, paused_at=None)
    _on_market(resumed, "resumed", lambda c: market.put_back_on_market(c, since))
    return resumed


def close(campaign: Campaign) -> Campaign:
    """For good: its pages take no more answers and nothing of it is published again."""
    with transaction.atomic():
        current = _locked(campaign)
        if current.closed_at is not None:
            return current
        closed = _stamp(campaign, closed_at=timezone.now())
    _on_market(closed, "closed", market.take_off_market)
    return closed


class MarketNotUpdated(FinelabelError):
    """The campaign changed state, but MTurk could not be told."""

    status = 502


def _on_market(campaign: Campaign, done: str, update: Callable[[Campaign], int]) -> None:
    """Its HITs follow the campaign (crowd.mturk.market): off the market while it takes no
    answers, back on when it resumes. The state change stands when MTurk cannot be reached
    (answers are refused anyway); the error says what is left to do."""
    try:
        update(campaign)
    except FinelabelError as exc:
        raise MarketNotUpdated(
            f"Campaign {campaign.name!r} is {done}, but its HITs on MTurk were not updated "
            f"({exc}); `mturk expire` / `mturk extend` do it by hand."
        ) from exc


def check_startable(campaign: Campaign) -> None:
    campaign.refresh_from_db(fields=["paused_at", "closed_at"])
    if campaign.closed_at is not None:
        raise CampaignRefused(f"Campaign {campaign.name!r} is closed: it cannot be started.")
    if campaign.paused_at is not None:
        raise CampaignRefused(f"Campaign {campaign.name!r} is paused: resume it first.")


@dataclass(frozen=True)
class Started:
    queued: bool  # True: sent to the workers (a broker); False: done in this process
    lines: list[str]


def start(
    campaign: Campaign, *, random_weights: bool = False, confirm_live: bool = False
) -> Started:
    """Start the campaign (module docstring): refused when paused or closed, or when it would
    publish on live MTurk without `confirm_live`."""
    check_startable(campaign)
    if crowd_of(campaign) == LIVE and not confirm_live:
        raise CampaignRefused(
            "Publishing on live MTurk spends real money: confirm it (the page's checkbox, or "
            "--confirm-live)."
        )
    from studio.tasks import start_campaign

    result = start_campaign.apply_async(args=(campaign.pk, random_weights), queue="gpu")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Started(False, result.get())
    return Started(True, [f"Sent to the workers (task {result.id}): watch its progress here."])
