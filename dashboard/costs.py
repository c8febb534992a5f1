"""The dashboard's money figures. Money has one source of truth,
`crowd.mturk.selectors.mturk_summary` (over the fee rules of `crowd.mturk.costs`), the
same figures as the campaign's admin page and `mturk summary`; this module only decides whether
a campaign's crowd is paid at all."""

from __future__ import annotations

from crowd.models import Assignment, Hit, Worker
from crowd.mturk.selectors import MTurkSummary, mturk_summary
from pipeline.models import Campaign


def is_local_crowd(campaign: Campaign) -> bool:
    """A campaign without Mechanical Turk: no HIT in either environment, no MTurk budget, and
    answers from local (or simulated) workers. A campaign with nothing yet counts as an MTurk
    one, so that the dashboard shows what publishing it would cost."""
    if campaign.mturk_budget is not None or Hit.objects.filter(campaign=campaign).exists():
        return False
    return (
        Assignment.objects.filter(campaign=campaign)
        .exclude(worker__source=Worker.Source.MTURK)
        .exists()
    )


def campaign_costs(campaign: Campaign) -> MTurkSummary | None:
    """The campaign's MTurk figures in the current environment (sandbox unless live), per
    stage and in total: HITs published and not yet, assignments done of those expected, money
    spent, committed and the projected total. None for a local crowd: no money involved."""
    return None if is_local_crowd(campaign) else mturk_summary(campaign)
