"""Closing the stage runs whose process was killed (pipeline/stages/runs.py): at each Celery
worker's start, and from beat every FINELABEL_STAGE_RUN_STALE_AFTER seconds."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from pipeline.stages.runs import mark_interrupted_runs as mark

logger = logging.getLogger(__name__)


@shared_task(name="pipeline.mark_interrupted_runs")
def mark_interrupted_runs() -> int:
    """Mark failed every running run that stopped beating; how many."""
    marked = mark()
    if marked:
        logger.warning("%d interrupted stage run(s) marked failed", marked)
    return marked


@worker_ready.connect(dispatch_uid="pipeline-interrupted-runs-at-start")
def at_worker_start(**kwargs) -> None:
    """A worker starting (again) after a crash: close the runs that died with it, once their
    heartbeat is old enough (a run beating on another worker is left alone)."""
    try:
        mark_interrupted_runs()
    except Exception:  # the worker must start even if the database is not reachable yet
        logger.exception("could not check for interrupted stage runs")
