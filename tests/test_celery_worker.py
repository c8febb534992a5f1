"""A task round trip through Redis to a real Celery worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("FINELABEL_TEST_REDIS_URL")

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="FINELABEL_TEST_REDIS_URL not set (make test sets it)"
)


@pytest.fixture
def worker():
    env = {**os.environ, "CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            "default",
            "--loglevel",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            "pytest@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.slow
@needs_redis
def test_task_round_trip_through_redis(worker):
    # A separate client app, not made current: the project's app stays as configured.
    client = Celery(broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    started = time.monotonic()
    result = client.send_task("pipeline.tasks.ping", args=[12], queue="default")
    value = result.get(timeout=90)
    assert value["value"] == 12 and value["squared"] == 144
    assert worker.poll() is None, "the worker died"
    assert time.monotonic() - started < 90


def test_tasks_run_eagerly_without_a_broker():
    from config.celery import app
    from pipeline.tasks.ping import ping

    assert app.conf.task_always_eager  # the test settings name no broker
    result = ping.delay(3).get(timeout=10)
    assert (result["value"], result["squared"]) == (3, 9)
