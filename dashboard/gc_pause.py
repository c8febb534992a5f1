"""Pausing Python's cyclic garbage collector while a dashboard is computed and drawn.

Computing a 10,000-image campaign's analyses builds a few hundred thousand short-lived tuples
(query rows, selection-frequency keys). Each burst of allocations sets off a full collection
that walks every live object of the process; together they take a large share of a cold
render's time and free nothing, since the rows hold no reference cycles and are freed by
reference counting (figures in bench/README.md, bench/dashboard.py). Collection resumes when
the last pause in the process ends."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TypeVar

_lock = threading.Lock()
_depth = 0
_was_enabled = False

F = TypeVar("F", bound=Callable)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block. Nests, and is shared by threads: the collector
    comes back (if it was on before the first pause) when every block has ended."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def without_gc(func: F) -> F:
    """`func` run inside `gc_paused()`."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with gc_paused():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
