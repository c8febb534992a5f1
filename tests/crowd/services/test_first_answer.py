"""The first answer to an assignment in one PostgreSQL statement
(crowd.services.first_answer): one query, the same rows as the ORM path stores, the ORM
path taken when the statement cannot see the worker's row, and the statement prepared once per
connection."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crowd.models import Assignment, ClassifyAnswer, ContainsAnswer, Worker
from crowd.services import first_answer
from crowd.services.answers import Stored, submit_classify, submit_contains
from crowd.services.submission_input import Submitter
from tests.crowd.factories import make_campaign, make_classify_task, make_grid, publish

# The statement runs in autocommit; it is PostgreSQL's (SQLite takes the ORM path).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def on_postgresql():
    assert connection.vendor == "postgresql", "the statement is PostgreSQL's"


def stored_rows(answer) -> dict:
    """Everything a submit writes, without ids and clocks."""
    skip = {"id", "accepted_at", "submitted_at", "created_at", "assignment", "worker"}
    rows = {
        "answer": model_to_dict(answer, exclude=skip),
        "assignment": model_to_dict(answer.assignment, exclude=skip),
        "worker": model_to_dict(answer.worker, exclude=skip),
        "members": sorted(
            answer.selections.values_list("item_id", flat=True)
            if isinstance(answer, ContainsAnswer)
            else answer.labels.values_list("label_id", flat=True)
        ),
    }
    rows["answer"].pop("items", None), rows["answer"].pop("selected", None)
    assert answer.assignment.submitted_at and answer.assignment.accepted_at
    assert answer.submitted_at and answer.worker.created_at
    return rows


def published_grid():
    grid = make_grid(make_campaign())
    publish(grid, "H")
    return grid


def test_a_first_answer_is_one_query(django_assert_num_queries):
    """Whatever it checks too: a HIT of the task (kept), the campaign not done, the task not
    full, the worker not blocked, without a counted answer, and not shown this grid's pictures
    under its query before."""
    grid = published_grid()
    submit_contains(grid.public_id, Submitter("W1", "A1", "H"), [1], 10)  # reads the members
    with django_assert_num_queries(1):
        stored = submit_contains(grid.public_id, Submitter("W2", "A2", "H"), [4, 2], 500)
    assert stored.created and stored.campaign_id == grid.campaign_id
    answer = ContainsAnswer.objects.get(pk=stored.answer_id)
    assert answer.assignment_id == stored.assignment_id
    assert (answer.worker_id, answer.grid_id) == (stored.worker_id, grid.pk)


def test_a_repeat_is_the_failed_statement_and_one_lookup(django_assert_num_queries):
    grid = published_grid()
    first = submit_contains(grid.public_id, Submitter("W1", "A1", "H"), [1], 10)
    with django_assert_num_queries(2):
        again = submit_contains(grid.public_id, Submitter("W1", "A1", "H"), [2], 10)
    assert again == Stored(
        first.answer_id, first.assignment_id, first.worker_id, grid.campaign_id, created=False
    )


@pytest.mark.parametrize("kind", ["contains", "classify"])
def test_the_statement_stores_what_the_orm_path_stores(kind, monkeypatch):
    campaign = make_campaign()
    if kind == "contains":
        task = make_grid(campaign)
        publish(task, "H")

        def submit(n: int):
            return submit_contains(task.public_id, Submitter(f"W{n}", f"A{n}", "H"), [7, 3], 900)
    else:
        task = make_classify_task(campaign)
        publish(task, "H")

        def submit(n: int):
            return submit_classify(task.public_id, Submitter(f"W{n}", f"A{n}", "H"), [1, 4], 4, 60)

    fast = submit(1)
    monkeypatch.setattr(first_answer, "supported", lambda: False)
    orm = submit(2)
    model = ContainsAnswer if kind == "contains" else ClassifyAnswer
    one, two = (stored_rows(model.objects.get(pk=s.answer_id)) for s in (fast, orm))
    assert one["worker"]["external_id"] == "W1" and one["assignment"]["external_id"] == "A1"
    for rows in (one, two):
        rows["worker"].pop("external_id"), rows["assignment"].pop("external_id")
    assert one == two
    assert one["assignment"]["status"] == "submitted" and one["answer"]["qc_status"] == "pending"
    assert one["answer"]["verification"] == "pending"
    assert len(one["members"]) == 2


def test_a_blocked_worker_stores_nothing():
    grid = published_grid()
    Worker.objects.create(external_id="W9", blocked=True)
    inserted = first_answer.insert_first_answer(
        "contains", grid.pk, grid.campaign_id, ("mturk", "W9"), ("A9", ""), {"duration_ms": 1},
        [], timezone.now(),
    )  # fmt: skip
    assert inserted == first_answer.BLOCKED
    assert not Assignment.objects.exists() and not ContainsAnswer.objects.exists()


def test_a_worker_row_made_meanwhile_sends_the_answer_down_the_orm_path():
    """Another transaction creates the worker's row while the statement runs: the statement
    waits for it, cannot see the committed row in its snapshot and stores nothing; the submit
    then stores the answer through the ORM path."""
    grid = published_grid()
    other = connections.create_connection("default")
    other.set_autocommit(False)
    with other.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Worker._meta.db_table} (source, external_id, blocked, blocked_reason,"
            " created_at) VALUES ('mturk', 'W1', false, '', now())"
        )
    result: list = []

    def submit() -> None:
        try:
            result.append(submit_contains(grid.public_id, Submitter("W1", "A1", "H"), [5], 10))
        finally:
            connection.close()

    thread = threading.Thread(target=submit)
    thread.start()
    time.sleep(0.5)  # the statement is now waiting on the uncommitted worker row
    assert thread.is_alive()
    other.commit()
    other.close()
    thread.join(10)
    assert result and result[0].created
    answer = ContainsAnswer.objects.get()
    assert answer.worker.external_id == "W1" and Worker.objects.count() == 1
    assert answer.assignment.external_id == "A1"


def prepared_names() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cur.fetchall()}


def submitted_sql(grid, n: int) -> list[str]:
    """The statements one first answer ran."""
    with CaptureQueriesContext(connection) as ctx:
        stored = submit_contains(grid.public_id, Submitter(f"W{n}", f"A{n}", "H"), [n % 48], 10)
    assert ContainsAnswer.objects.filter(pk=stored.answer_id, worker__external_id=f"W{n}").exists()
    return [q["sql"].split(None, 1)[0] for q in ctx.captured_queries]


def test_the_statement_is_prepared_once_per_connection():
    grid = published_grid()
    submit_contains(grid.public_id, Submitter("W0", "A0", "H"), [1], 10)  # reads the members
    assert submitted_sql(grid, 1) == ["EXECUTE"]
    assert submitted_sql(grid, 2) == ["EXECUTE"]
    assert prepared_names() == {"finelabel_first_contains_duration_ms"}
    connection.close()  # a new connection has no prepared statement
    assert submitted_sql(grid, 3) == ["PREPARE", "EXECUTE"]
    assert submitted_sql(grid, 4) == ["EXECUTE"]


def test_a_prepared_statement_dropped_behind_its_back_is_prepared_again():
    grid = published_grid()
    submitted_sql(grid, 1)
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")  # as a connection pooler's reset does
    assert submitted_sql(grid, 2)[-1] == "WITH"  # the failed EXECUTE, then the plain statement
    assert submitted_sql(grid, 3) == ["PREPARE", "EXECUTE"]
    assert ContainsAnswer.objects.count() == 3


def test_with_the_setting_off_nothing_is_prepared(settings):
    settings.FINELABEL_PREPARED_SUBMIT = False
    grid = published_grid()
    assert submitted_sql(grid, 1)[-1] == "WITH"
    assert submitted_sql(grid, 2) == ["WITH"]
    assert prepared_names() == set()


def test_a_refused_first_answer_stores_nothing_not_even_its_worker():
    """The statement checks before it inserts: a full task stores no worker row either."""
    grid = make_grid(make_campaign())
    publish(grid, "H", max_assignments=1)
    grid.campaign.contains_assignments = 1
    grid.campaign.save()
    local = Worker.Source.LOCAL
    submit_contains(grid.public_id, Submitter("ann", "local-1", source=local), [1], 10)
    kind, task, campaign = "contains", grid.pk, grid.campaign_id
    inserted = first_answer.insert_first_answer(
        kind, task, campaign, ("mturk", "W5"), ("A5", "H"), {"duration_ms": 1}, [],
        timezone.now(), verification="pending",
    )  # fmt: skip
    assert inserted == first_answer.FULL
    assert not Worker.objects.filter(external_id="W5").exists()
    assert ContainsAnswer.objects.count() == 1
