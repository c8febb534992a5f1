"""Simultaneous submits on PostgreSQL: one assignment sent many times at once stores one
answer and every request gets that answer back; one worker racing two assignments of the
same grid gets one counted answer and the other refused (MTurk answers, which wait for the
sync to say which assignment is the worker's, are all kept pending)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from crowd.models import Assignment, ContainsAnswer, ContainsSelection, Worker
from crowd.services.answers import submit_contains
from crowd.services.submission_input import SubmissionError, Submitter
from tests.crowd.factories import make_campaign, make_grid, publish

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(calls: list) -> list:
    """Run the calls in threads released together; each result or the exception raised."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = calls[i]()
        except Exception as exc:  # returned for the test to check
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_assignment_sent_many_times_at_once_is_stored_once():
    grid = make_grid(make_campaign())
    publish(grid, "H1")
    submitter = Submitter("W1", "A1", "H1")
    results = at_once(
        [lambda: submit_contains(grid.public_id, submitter, [3, 4], 900) for _ in range(8)]
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert len({r.answer_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert ContainsAnswer.objects.count() == 1 and Assignment.objects.count() == 1
    assert sorted(ContainsSelection.objects.values_list("item__position", flat=True)) == [3, 4]


def test_one_worker_racing_two_assignments_of_a_grid_gets_one_answer():
    grid = make_grid(make_campaign())
    local = Worker.Source.LOCAL
    results = at_once(
        [
            lambda n=n: submit_contains(
                grid.public_id, Submitter("ann", f"local-{n}", source=local), [n], 10
            )
            for n in range(6)
        ]
    )
    refused = [r for r in results if isinstance(r, SubmissionError)]
    assert len(refused) == 5 and all(r.code == "already_answered" for r in refused)
    assert ContainsAnswer.objects.count() == 1 and Assignment.objects.count() == 1


def test_an_mturk_worker_racing_assignments_of_a_grid_leaves_them_pending():
    grid = make_grid(make_campaign())
    publish(grid, "H1")
    results = at_once(
        [
            lambda n=n: submit_contains(grid.public_id, Submitter("W1", f"A{n}", "H1"), [n], 10)
            for n in range(4)
        ]
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert set(ContainsAnswer.objects.values_list("verification", flat=True)) == {"pending"}
