"""Values kept at two levels: the per-process "hits" cache (settings.CACHES), which costs no
round trip, in front of the shared cache (Redis, when settings.CACHE_URL names one). For
values that are the same for every request and costly to make, read on the crowd's hot paths:
a HIT page's task content, a task's members on submit.

A value is at most twice KEPT_SECONDS old (once in each level).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches

KEPT_SECONDS = 300


def kept_or_made(key: str, make: Callable[[], Any]) -> Any:
    """The value kept under `key`, from this process's cache, else from the shared one, else
    made now and kept in both. Errors (an unknown task's Http404) are not kept."""
    local = caches["hits"]
    kept = local.get(key)
    if kept is None:
        shared = caches["default"] if settings.CACHE_URL else None
        kept = shared.get(key) if shared is not None else None
        if kept is None:
            kept = make()
            if shared is not None:
                shared.set(key, kept, KEPT_SECONDS)
        local.set(key, kept, KEPT_SECONDS)
    return kept


def forget(key: str) -> None:
    """Drop a kept value at both levels (a task found gone since it was kept)."""
    caches["hits"].delete(key)
    if settings.CACHE_URL:
        caches["default"].delete(key)
