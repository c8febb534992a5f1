"""The web service as docker-compose.yml runs it (`python -m config.serve`, granian): it serves
the application, keeps the HIT paths' headers, starts a killed worker again, and stops on
SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _get(url: str, timeout: float = 5) -> tuple[int, Message]:
    """Status and headers (looked up without regard to case, as HTTP has them)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def _wait_serving(url: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"nothing served {url} within {seconds} s")


def _workers(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.fixture
def served(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FINELABEL_VAR_DIR": str(tmp_path),  # the embedded default: SQLite under tmp_path
        "DJANGO_SECRET_KEY": "test-serve-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True,
        timeout=300,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--threads", "2"],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_serving(base + "/health/", server)
        yield base, server
    finally:
        with contextlib.suppress(ProcessLookupError):  # the workers too, whatever became of it
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def test_granian_serves_the_application_and_stops_on_sigterm(served):
    base, server = served
    status, headers = _get(base + "/health/")
    assert status == 200 and headers["Server"] == "granian"
    # The HIT paths' own chain (config/handlers.py) runs under it: a 404 keeps the frame policy.
    status, headers = _get(base + "/hit/nothing-here")
    assert status == 404 and headers["X-Frame-Options"] == "DENY"
    # A worker still starting when SIGTERM comes can keep granian from stopping: config/serve.py
    # kills such a worker after 10 s.
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_killed_worker_is_started_again(served):
    base, server = served
    first = _workers(server.pid)
    assert len(first) == 2
    os.kill(first[0], signal.SIGKILL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        now = _workers(server.pid)
        if len(now) == 2 and first[0] not in now:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the killed worker was not started again")
    # Once the new worker is up, whichever worker takes them, every request is served (on a
    # busy machine the new worker may take seconds to load the application).
    _wait_serving(base + "/health/", server)
    for _ in range(20):
        assert _get(base + "/health/", timeout=60)[0] == 200
