"""A task round trip through Redis to a real Celery worker process."""

import time

import pytest
from celery import Celery

from tests.celery_worker import REDIS_URL, celery_worker

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="FINELABEL_TEST_REDIS_URL not set (make test sets it)"
)


@pytest.fixture
def worker():
    with celery_worker("default", "pytest") as proc:
        yield proc


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
