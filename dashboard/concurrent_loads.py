"""Running the dashboard's independent selectors at once, each on its own thread and database
connection.

A cold 10,000-image dashboard issues about a dozen queries that return 10^4-10^5 rows each.
Run one after another, the process waits while PostgreSQL executes and sends each query, and
PostgreSQL waits while Python turns the rows into objects; on separate connections the two
overlap (psycopg2 releases the GIL while it waits). bench/dashboard.py measures the cold
render (figures in bench/README.md).

Threads see only committed data on their own connections, so inside a transaction (a test's,
or an atomic block) and on SQLite (one writer, and the embedded server's campaigns are small)
the calls run one after another on the caller's connection instead.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

MAX_THREADS = 4


def can_run_concurrently(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def load_all(calls: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each call's result by name: concurrently where `can_run_concurrently`, else in order.
    Threads take the calls in the order given (put the longest first); the first exception
    raised by a call is raised here."""
    if len(calls) < 2 or not can_run_concurrently():
        return {name: call() for name, call in calls.items()}
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in calls.items():
        pending.put(item)
    results: dict[str, Any] = {}

    def drain() -> None:
        while True:
            try:
                name, call = pending.get_nowait()
            except queue.Empty:
                return
            results[name] = call()

    threads = min(MAX_THREADS, len(calls))
    with ThreadPoolExecutor(threads, thread_name_prefix="dashboard-load") as pool:
        for future in [pool.submit(_on_own_connection, drain) for _ in range(threads)]:
            future.result()
    return {name: results[name] for name in calls}


class Background:
    """One call started on its own thread and connection (where `can_run_concurrently`) while
    the caller goes on; `result()` waits for it. Elsewhere the call runs at `result()`."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call
        self._future: Future | None = None
        self._pool: ThreadPoolExecutor | None = None
        if can_run_concurrently():
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="dashboard-load")
            self._future = self._pool.submit(_on_own_connection, call)

    def result(self) -> Any:
        if self._future is None:
            return self._call()
        try:
            return self._future.result()
        finally:
            self._pool.shutdown()


def _on_own_connection(call: Callable[[], Any]) -> Any:
    # Django opens one connection per thread and these threads end with the call: their
    # connections are closed here, not left open until PostgreSQL's idle timeout.
    try:
        return call()
    finally:
        connections.close_all()
