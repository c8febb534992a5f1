"""The shared cache's backend (config.redis_cache) against real Redis: Django's behaviour,
with one redis client kept per connection pool."""

from __future__ import annotations

import secrets
import threading

import pytest

from config.redis_cache import RedisCache
from tests.celery_worker import REDIS_URL


@pytest.fixture
def cache():
    if not REDIS_URL:
        pytest.skip("FINELABEL_TEST_REDIS_URL not set (make test sets it)")
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"t{secrets.token_hex(4)}"})


def test_values_round_trip_and_expire_as_with_djangos_backend(cache):
    cache.set("page", ("title", "x" * 20000), 60)
    assert cache.get("page") == ("title", "x" * 20000)
    assert cache.get("missing") is None
    cache.set("gone", 1, -1)
    assert cache.get("gone") is None
    cache.set("page", "again", 60)
    cache.delete("page")
    assert cache.get("page") is None


def test_one_client_serves_every_call_and_thread(cache):
    clients = []

    def work(n: int) -> None:
        cache.set(f"k{n}", n)
        assert cache.get(f"k{n}") == n
        clients.append(cache._cache.get_client(write=True))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 8 and len({id(c) for c in clients}) == 1
    assert cache._cache.get_client() is clients[0]
