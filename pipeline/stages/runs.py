"""Recording a stage's runs: parameters, code version, progress and outcome (StageRun).

A run is RUNNING while the process running it shows signs of life: its heartbeat_at moves at
every progress report and, inside stage_run() (and a stage-1 chunk task), every
FINELABEL_STAGE_RUN_HEARTBEAT seconds from a thread beside the work. A process that is killed
(SIGKILL, out of memory, a machine lost) can close nothing, so its run would read RUNNING
forever; a run whose heartbeat is older than FINELABEL_STAGE_RUN_STALE_AFTER is such a run, and
mark_interrupted_runs() marks it FAILED. A rerun of the stage does that for its campaign and
stage before it starts; a Celery worker at start, beat every few minutes and
`manage.py mark_interrupted_runs` (the web container's start) for every campaign. A run still
beating on another worker is left alone, however old. Its stored output needs nothing: every
stage replaces or resumes its own output when run again.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from pipeline.models import Campaign, StageRun
from pipeline.stages.statistics import analyze_stage_output

REPO = Path(__file__).resolve().parents[2]
INTERRUPTED = "Interrupted"  # how the message of a run marked failed for silence begins
logger = logging.getLogger(__name__)


@functools.cache
def code_version() -> str:
    """The git commit of the running code, or the package marker when not in a checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def start_run(
    campaign: Campaign, stage: str, params: dict | None = None, total: int = 0
) -> StageRun:
    """A new RUNNING StageRun for `stage`, with the campaign's parameters unless given. Runs
    of the same stage and campaign whose process died are marked failed first."""
    mark_interrupted_runs(campaign=campaign, stage=stage)
    return StageRun.objects.create(
        campaign=campaign,
        stage=stage,
        params=params if params is not None else campaign.params.as_json(),
        code_version=code_version(),
        total=total,
        heartbeat_at=timezone.now(),
    )


def report_progress(run: StageRun, done: int, total: int | None = None) -> None:
    """Store progress (and a heartbeat); a separate UPDATE so it is visible to the admin
    mid-run."""
    fields = {"done": done}
    if total is not None:
        fields["total"] = total
    StageRun.objects.filter(pk=run.pk).update(**fields, heartbeat_at=timezone.now())
    for key, value in fields.items():
        setattr(run, key, value)


def beat(run_id: int) -> None:
    """A sign of life of a running run."""
    StageRun.objects.filter(pk=run_id, status=StageRun.Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def stale_after() -> timedelta:
    return timedelta(seconds=settings.FINELABEL_STAGE_RUN_STALE_AFTER)


def interrupted_runs(campaign: Campaign | None = None, stage: str | None = None):
    """RUNNING runs without a heartbeat for longer than stale_after() (runs from before
    heartbeats: since they started)."""
    cutoff = timezone.now() - stale_after()
    runs = StageRun.objects.filter(status=StageRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if campaign is not None:
        runs = runs.filter(campaign=campaign)
    if stage is not None:
        runs = runs.filter(stage=stage)
    return runs


def mark_interrupted_runs(campaign: Campaign | None = None, stage: str | None = None) -> int:
    """Mark FAILED the running runs whose process stopped (interrupted_runs()); how many.
    One UPDATE, whose condition is checked again on each row as it is written: a run that beats
    meanwhile is not touched. A run marked so that was only waiting (stage 1's chunks queued
    behind other work longer than the stale age) is closed as usual when it ends."""
    silent = int(stale_after().total_seconds())
    return interrupted_runs(campaign, stage).update(
        status=StageRun.Status.FAILED,
        finished_at=timezone.now(),
        message=(
            f"{INTERRUPTED}: the process running it stopped without closing it (no sign of "
            f"life for over {silent} s: killed, out of memory, or its machine went down). "
            "What it stored is kept; running the stage again replaces or resumes it."
        ),
    )


class _Heartbeat(threading.Thread):
    """Beats for a run every `interval` seconds until stopped, on its own database connection
    (closed when it stops). A beat that fails (the database busy or away) is skipped: the next
    one tries again."""

    def __init__(self, run_id: int, interval: float):
        super().__init__(name=f"stage-run-{run_id}-heartbeat", daemon=True)
        self.run_id = run_id
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    beat(self.run_id)
                except DatabaseError as exc:
                    logger.warning("stage run %s: heartbeat skipped: %s", self.run_id, exc)
        finally:
            connections.close_all()  # this thread's connections only


@contextmanager
def heartbeat(run: StageRun) -> Iterator[None]:
    """Keep `run` alive while the block runs, however long it goes without reporting
    progress. Inside a transaction there is nothing to keep: no other connection sees the run
    before it commits (and a killed process's run is rolled back with it)."""
    if transaction.get_connection().in_atomic_block:
        yield
        return
    thread = _Heartbeat(run.pk, settings.FINELABEL_STAGE_RUN_HEARTBEAT)
    thread.start()
    try:
        yield
    finally:
        thread.stopped.set()
        thread.join(timeout=30)


def finish_run(run: StageRun, message: str = "") -> None:
    analyze_stage_output(run.stage)  # before anyone reads it as done
    run.status = StageRun.Status.DONE
    run.message = message
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "heartbeat_at"])


def fail_run(run: StageRun, message: str) -> None:
    StageRun.objects.filter(pk=run.pk).update(
        status=StageRun.Status.FAILED,
        message=message[:10000],
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    run.status = StageRun.Status.FAILED
    run.message = message


@contextmanager
def stage_run(
    campaign: Campaign, stage: str, params: dict | None = None, total: int = 0
) -> Iterator[StageRun]:
    """Run a block as one StageRun: DONE when it returns, FAILED (with the error) when it
    raises. The error propagates. A heartbeat keeps it alive meanwhile."""
    run = start_run(campaign, stage, params, total)
    try:
        with heartbeat(run):
            yield run
    except BaseException as exc:
        fail_run(run, f"{type(exc).__name__}: {exc}")
        raise
    if run.status == StageRun.Status.RUNNING:
        finish_run(run, run.message)
