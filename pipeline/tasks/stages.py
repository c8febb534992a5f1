"""Celery tasks of stages 2 to 6: thin shells over pipeline.flow, on the default queue.

Each returns its stages' summaries as plain dicts, by stage name."""

from __future__ import annotations

import dataclasses
from typing import Any

from celery import shared_task

from pipeline import flow
from pipeline.models import Campaign


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


@shared_task(name="pipeline.after_contains_answers")
def after_contains_answers(campaign_id: int, include_controls: bool = False) -> dict:
    """Once the grids are answered: every CONTAINS-side stage after the grids."""
    return _run(campaign_id, list(flow.CONTAINS[1:]), include_controls)


@shared_task(name="pipeline.classify_all")
def classify_all(campaign_id: int) -> dict:
    """CLASSIFY tasks, their quality control and the aggregation, with the answers so far."""
    return _run(campaign_id, list(flow.CLASSIFY))
