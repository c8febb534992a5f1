"""Celery tasks of stages 2 to 6: thin shells over pipeline.flow, on the default queue.

Each returns its stages' summaries as plain dicts, by stage name."""

from __future__ import annotations

import dataclasses
from typing import Any

from celery import shared_task

from pipeline import flow
from pipeline.models import Campaign
from pipeline.stages import adaptive


def as_dict(summary: Any) -> Any:
    if hasattr(summary, "as_dict"):
        return summary.as_dict()
    if dataclasses.is_dataclass(summary) and not isinstance(summary, type):
        return dataclasses.asdict(summary)
    return summary


def _run(campaign_id: int, names: list[str], include_controls: bool = False) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id)
    summaries = flow.run_stages(campaign, names, include_controls=include_controls)
    return {name: as_dict(summary) for name, summary in summaries.items()}


@shared_task(name="pipeline.run_stages")
def run_stages(campaign_id: int, names: list[str], include_controls: bool = False) -> dict:
    """The named stages, in the flow's order."""
    return _run(campaign_id, names, include_controls)


def _waiting(campaign_id: int, kind: str) -> dict | None:
    """In an adaptive campaign whose tasks still wait for answers asked of them: what they
    wait for (the stages after them do not run yet)."""
    held = adaptive.hold(Campaign.objects.get(pk=campaign_id), kind)
    return None if held is None else {"waiting": held.waiting, "review": str(held)}


@shared_task(name="pipeline.after_contains_answers")
def after_contains_answers(campaign_id: int, include_controls: bool = False) -> dict:
    """Once the grids are answered: every CONTAINS-side stage after the grids (adaptive:
    once every grid is settled or at its maximum)."""
    held = _waiting(campaign_id, "contains")
    if held is not None:
        return held
    return _run(campaign_id, list(flow.CONTAINS[1:]), include_controls)


@shared_task(name="pipeline.classify_all")
def classify_all(campaign_id: int) -> dict:
    """CLASSIFY tasks, their quality control and the aggregation, with the answers so far
    (adaptive: quality control and aggregation once every task is settled or at its
    maximum)."""
    made = _run(campaign_id, [flow.CLASSIFY[0]])
    held = _waiting(campaign_id, "classify")
    if held is not None:
        return {**made, **held}
    return {**made, **_run(campaign_id, list(flow.CLASSIFY[1:]))}
