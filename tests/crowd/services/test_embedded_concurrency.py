"""The embedded default (SQLite, the demo's `runserver`) under many simultaneous submits: every
answer is acknowledged and stored once, none fails with "database is locked"."""

from __future__ import annotations

import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[3]
CONFIG = re.compile(r'<script id="hit-config" type="application/json">(.*?)</script>', re.S)
pytestmark = pytest.mark.slow

BUILD = """
from tests.crowd.factories import make_campaign, make_classify_task, make_grid, publish
campaign = make_campaign()
grid, task = make_grid(campaign), make_classify_task(campaign)
publish(grid, "H"), publish(task, "HT")
print(grid.public_id, task.public_id)
"""


@pytest.fixture
def embedded_server(tmp_path):
    """runserver on a fresh SQLite database under a temporary var dir, with one grid and one
    CLASSIFY task; yields (port, grid id, task id, database path)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FINELABEL_VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    built = subprocess.run(
        [*manage, "shell", "-c", BUILD],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    grid, task = built.stdout.splitlines()[-1].split()
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield port, grid, task, tmp_path / "var" / "finelabel.sqlite3"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=20)
        assert "database is locked" not in errors


def request(
    port: int, method: str, path: str, body: bytes | None = None, conn=None
) -> tuple[int, bytes]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_concurrent_submits_on_sqlite_are_all_stored_once(embedded_server):
    port, grid, task, database = embedded_server
    answers = 40  # 20 grid answers and 20 CLASSIFY answers, each from its own worker
    prepared = []
    for n in range(answers):
        kind, public_id = ("contains", grid) if n % 2 == 0 else ("classify", task)
        query = {
            "assignmentId": f"A{n}",
            "workerId": f"W{n}",
            "hitId": "H" if kind == "contains" else "HT",
            "turkSubmitTo": "https://workersandbox.mturk.com",
        }
        status, html = request(port, "GET", f"/hit/{kind}/{public_id}/?{urlencode(query)}")
        assert status == 200
        config = json.loads(CONFIG.search(html.decode()).group(1))
        body = {"token": config["token"], "duration_ms": 1000 + n}
        body |= {"positions": [n % 48]} if kind == "contains" else {"labels": [1, 3], "main": 3}
        prepared.append((config["submit_url"], json.dumps(body).encode()))
    # Every answer at once, and the first ten twice more (a double click, a retry).
    sends = prepared + prepared[:10] + prepared[:10]
    # Each sender connects first (as open browser tabs are), then all submit at once: what
    # collides is the writes, not the connects (runserver listens with a backlog of 10).
    connections = []
    for _ in sends:
        connections.append(http.client.HTTPConnection("127.0.0.1", port, timeout=60))
        connections[-1].connect()
    start = threading.Barrier(len(sends))
    results: list[tuple[int, dict] | BaseException] = [None] * len(sends)

    def send(i: int) -> None:
        url, body = sends[i]
        try:
            start.wait()
            status, data = request(port, "POST", url, body, connections[i])
            results[i] = (status, json.loads(data))
        except BaseException as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(r, tuple) for r in results), results
    assert [r[0] for r in results if r[0] not in (200, 201)] == []
    ids = {}
    for (_, body), (_, data) in zip(sends, results, strict=True):
        ids.setdefault(body, set()).add(data["answer"])
    assert all(len(v) == 1 for v in ids.values()), "a repeat returned another answer"
    assert sum(status == 201 for status, _ in results) == answers

    with sqlite3.connect(database) as db:
        stored = {
            table: db.execute(f"SELECT count(*) FROM annotation_{table}").fetchone()[0]
            for table in ("containsanswer", "classifyanswer", "assignment", "worker")
        }
        selections = db.execute("SELECT count(*) FROM annotation_containsselection").fetchone()
    assert stored == {
        "containsanswer": answers // 2,
        "classifyanswer": answers // 2,
        "assignment": answers,
        "worker": answers,
    }
    assert selections[0] == answers // 2
