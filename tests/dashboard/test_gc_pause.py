"""The collector pause around dashboard work: off inside, back after, nested and threaded."""

from __future__ import annotations

import gc
import threading

import pytest

from dashboard.gc_pause import gc_paused, without_gc


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_back_after_even_on_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost_end() -> None:
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_threads_share_the_pause_until_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with gc_paused():
        pass
    assert not gc.isenabled(), "the other thread's pause was cut short"
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_decorated_function_runs_paused_and_keeps_its_result() -> None:
    @without_gc
    def work(x: int) -> tuple[int, bool]:
        return x * 2, gc.isenabled()

    assert work(21) == (42, False)
    assert gc.isenabled()
