"""A stage killed mid-run leaves its StageRun RUNNING: nothing in the dead process can close it.
A rerun of the stage, a worker's start, beat and `manage.py mark_interrupted_runs` mark such
runs FAILED, once their heartbeat is older than FINELABEL_STAGE_RUN_STALE_AFTER; a run still
beating on another worker stays RUNNING, however long it has been going."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from catalogue.models import Dataset
from pipeline.models import Campaign, StageRun
from pipeline.stages.runs import INTERRUPTED, stage_run

ROOT = Path(__file__).resolve().parents[3]
GRIDS = StageRun.Stage.GRIDS


@pytest.fixture
def campaign(db):
    dataset = Dataset.objects.create(name="killed")
    return Campaign.objects.create(name="killed", dataset=dataset)


def silent_run(campaign, stage=GRIDS, seconds: float = 3600) -> StageRun:
    """A RUNNING run whose process stopped beating `seconds` ago (killed then)."""
    run = StageRun.objects.create(campaign=campaign, stage=stage)
    beat = timezone.now() - timedelta(seconds=seconds)
    StageRun.objects.filter(pk=run.pk).update(started_at=beat, heartbeat_at=beat)
    return run


def status(run: StageRun) -> str:
    run.refresh_from_db()
    return run.status


def test_a_rerun_marks_the_run_of_a_killed_process_failed(campaign):
    dead = silent_run(campaign)
    other_stage = silent_run(campaign, StageRun.Stage.AGGREGATION)
    with stage_run(campaign, GRIDS) as rerun:
        pass
    assert status(rerun) == StageRun.Status.DONE
    assert status(dead) == StageRun.Status.FAILED
    assert dead.message.startswith(INTERRUPTED) and dead.finished_at is not None
    # A rerun closes the runs of its own stage and campaign; the others wait for the check.
    assert status(other_stage) == StageRun.Status.RUNNING


def test_runs_from_before_heartbeats_count_from_their_start(campaign):
    old = StageRun.objects.create(campaign=campaign, stage=GRIDS)
    StageRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(hours=2))
    recent = StageRun.objects.create(campaign=campaign, stage=GRIDS)  # heartbeat_at is None
    call_command("mark_interrupted_runs", stdout=StringIO())
    assert status(old) == StageRun.Status.FAILED
    assert status(recent) == StageRun.Status.RUNNING


def test_the_startup_check_marks_every_silent_run_and_keeps_recent_ones(campaign):
    dead = [silent_run(campaign), silent_run(campaign, StageRun.Stage.AGGREGATION)]
    recent = silent_run(campaign, StageRun.Stage.CANDIDATES, seconds=10)
    done = silent_run(campaign, StageRun.Stage.INCLUSION)
    StageRun.objects.filter(pk=done.pk).update(status=StageRun.Status.DONE)

    out = StringIO()
    call_command("mark_interrupted_runs", "--dry-run", stdout=out)
    assert "2 interrupted run(s)" in out.getvalue()
    assert {status(run) for run in dead} == {StageRun.Status.RUNNING}

    from pipeline.tasks.runs import at_worker_start

    at_worker_start()  # what a Celery worker does when it starts
    assert {status(run) for run in dead} == {StageRun.Status.FAILED}
    assert status(recent) == StageRun.Status.RUNNING
    assert status(done) == StageRun.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_a_run_still_beating_on_another_worker_is_left_running(campaign, settings):
    """Another worker runs the stage for longer than the stale age, without reporting
    progress; a rerun here meanwhile leaves it alone. It closes DONE when it ends."""
    settings.FINELABEL_STAGE_RUN_HEARTBEAT = 0.05
    settings.FINELABEL_STAGE_RUN_STALE_AFTER = 0.5
    started, release = threading.Event(), threading.Event()
    ids: list[int] = []

    def other_worker() -> None:
        try:
            with stage_run(campaign, GRIDS) as run:
                ids.append(run.pk)
                started.set()
                release.wait(30)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert started.wait(30)
        time.sleep(1.5)  # three stale ages without progress; the heartbeat goes on
        dead = silent_run(campaign, seconds=2)
        with stage_run(campaign, GRIDS) as rerun:
            pass
        live = StageRun.objects.get(pk=ids[0])
        assert live.status == StageRun.Status.RUNNING
        assert timezone.now() - live.heartbeat_at < timedelta(seconds=0.5)
        assert status(dead) == StageRun.Status.FAILED
        assert status(rerun) == StageRun.Status.DONE
    finally:
        release.set()
        worker.join(30)
    assert status(live) == StageRun.Status.DONE


STAGE_IN_A_PROCESS = """
import sys, time, django
django.setup()
from pipeline.models import Campaign
from pipeline.stages.runs import stage_run
with stage_run(Campaign.objects.get(pk=int(sys.argv[1])), "grids") as run:
    print(run.pk, flush=True)
    time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_process_leaves_a_running_run_that_the_rerun_marks_failed(campaign, settings):
    from tests.pipeline.tasks.test_potential_labels import worker_database_url

    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "FINELABEL_STAGE_RUN_HEARTBEAT": "0.2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", STAGE_IN_A_PROCESS, str(campaign.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run = StageRun.objects.get(pk=int(proc.stdout.readline()))
        time.sleep(1)
        run.refresh_from_db()
        beaten = run.heartbeat_at
        assert beaten > run.started_at  # its heartbeat thread beats
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    settings.FINELABEL_STAGE_RUN_STALE_AFTER = 1
    time.sleep(1.2)
    assert status(run) == StageRun.Status.RUNNING  # nothing closed it
    with stage_run(campaign, GRIDS):
        pass
    assert status(run) == StageRun.Status.FAILED
    assert run.message.startswith(INTERRUPTED)
