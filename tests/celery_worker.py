"""A real Celery worker process on the test Redis, for the tests that are about Celery."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("FINELABEL_TEST_REDIS_URL")


@contextmanager
def celery_worker(
    queues: str, hostname: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """`celery -A config worker` (solo pool) on `queues`, with the broker and result backend
    on the test Redis; terminated on exit."""
    environment = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS_URL or "",
        "CELERY_RESULT_BACKEND": REDIS_URL or "",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker"),
            *("--pool", "solo", "--queues", queues, "--loglevel", "warning"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            *("--hostname", f"{hostname}@%h"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
