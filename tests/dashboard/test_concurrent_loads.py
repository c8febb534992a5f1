"""The dashboard's selectors run at once on their own connections: the same results as one
after another, errors raised, no connection left open, and no threads inside a transaction."""

from __future__ import annotations

import pickle
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from catalogue.models import LabelClass
from dashboard.analyses import compute
from dashboard.concurrent_loads import Background, can_run_concurrently, load_all
from pipeline.models import Campaign
from simulation.sample_campaign import build_sample_campaign

pytestmark = pytest.mark.django_db(transaction=True)


USED: list[int] = []


def backend_pid() -> int:
    """The PostgreSQL backend serving the calling thread, remembered in USED."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    USED.append(pid)
    return pid


def still_open(pids: set[int]) -> set[int]:
    """Which of these backends still run, waiting up to 5 s: a backend leaves a moment after
    its client closes. Only the test's own backends are counted, not other tests' servers."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
            left = {row[0] for row in cursor.fetchall()}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def forget_pids():
    USED.clear()


@pytest.fixture
def classes():
    if not LabelClass.objects.exists():
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)


@pytest.mark.postgres  # counts PostgreSQL backends
def test_calls_run_on_other_connections_and_close_them(classes) -> None:
    assert can_run_concurrently()
    own = backend_pid()
    calls = {f"q{i}": backend_pid for i in range(6)}
    calls["count"] = LabelClass.objects.count
    results = load_all(calls)
    assert results["count"] == 1000
    threads = {results[f"q{i}"] for i in range(6)}
    assert own not in threads
    assert list(results) == list(calls)
    assert still_open(threads) == set()


@pytest.mark.postgres  # counts PostgreSQL backends
def test_the_first_error_is_raised_and_connections_still_closed() -> None:
    own = backend_pid()

    def broken() -> None:
        backend_pid()
        raise ValueError("bad selector")

    with pytest.raises(ValueError, match="bad selector"):
        load_all({"ok": backend_pid, "broken": broken, "also": backend_pid})
    threads = set(USED) - {own}
    assert threads
    assert still_open(threads) == set()


@pytest.mark.postgres  # counts PostgreSQL backends
def test_inside_a_transaction_calls_run_in_order_on_the_callers_connection(classes) -> None:
    with transaction.atomic():
        Campaign.objects.filter(pk=-1).delete()
        assert not can_run_concurrently()
        own = backend_pid()
        results = load_all({"a": backend_pid, "b": backend_pid})
        assert results == {"a": own, "b": own}
        assert Background(backend_pid).result() == own


@pytest.mark.postgres  # counts PostgreSQL backends
def test_background_call_runs_elsewhere_and_returns_its_result() -> None:
    task = Background(backend_pid)
    other = task.result()
    assert other != backend_pid()
    assert still_open({other}) == set()


def test_analyses_are_the_same_computed_at_once_or_in_order(classes, media_root) -> None:
    campaign = build_sample_campaign(150, seed=5, n_models=3)
    concurrent = compute(campaign, "v")
    with transaction.atomic():
        in_order = compute(campaign, "v")
    assert concurrent.models and concurrent.pairs
    assert pickle.dumps(concurrent) == pickle.dumps(in_order)
