"""A first answer to a new assignment, stored in one PostgreSQL statement.

Nearly every submit is the first answer to a new assignment. Through the ORM that is six round
trips (BEGIN, the worker, the assignment, the answer, its member rows, COMMIT), and building
those queries is the largest part of the web process's work on the submit path.
Here the worker's row is read (or created for a first answer), the blocked check made, and the
assignment, the answer and its member rows inserted by one statement of data-modifying CTEs,
which PostgreSQL runs atomically: a unique or foreign key violation (the assignment already
exists, the worker already answered the task, the task was deleted) raises IntegrityError with
nothing stored, exactly as the ORM path's transaction does, and the caller's checked path
sorts it out (crowd.services.answers).

The same statement checks what may refuse a first answer, so that refusing costs no round trip
more: a blocked worker, a campaign that is done, paused or closed, a task that has all its
counted answers (confirmed ones, up to the campaign's answers per task or the largest
MaxAssignments of its HITs) and, for an MTurk worker on a grid, a grid of the same query with
some of the same pictures answered before (crowd.services.task_facts). It then inserts
nothing, not even the worker's row, and says which. When the statement cannot see the
worker's row (another of this worker's first answers created it meanwhile, after this
statement's snapshot), it stores nothing and returns None: the caller takes the ORM path.

Planning that statement is a large part of PostgreSQL's work on a submit, so a web process
prepares it once per connection (PREPARE) and then only executes it (settings.
FINELABEL_PREPARED_SUBMIT; off behind a connection pooler in transaction mode, where the next
transaction may run on a server connection that never saw the PREPARE).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ContainsAnswer,
    ContainsSelection,
    Hit,
    QcStatus,
    Verification,
    Worker,
)
from crowd.services.task_facts import seen_sql
from pipeline.models import AnswerRequest, Campaign

# kind -> (answer model, its task column, member model, the member's column)
_TABLES = {
    Assignment.Kind.CONTAINS: (ContainsAnswer, "grid_id", ContainsSelection, "item_id"),
    Assignment.Kind.CLASSIFY: (ClassifyAnswer, "task_id", ClassifyAnswerLabel, "label_id"),
}
_ASSIGNMENT_TASK = {
    Assignment.Kind.CONTAINS: "grid_id",
    Assignment.Kind.CLASSIFY: "classify_task_id",
}
# The answer fields a submit sets, with their column types.
_FIELD_TYPES = {"duration_ms": "integer", "main_label_id": "bigint"}
# The campaign's answers per task, by kind.
_PER_TASK = {
    Assignment.Kind.CONTAINS: "contains_assignments",
    Assignment.Kind.CLASSIFY: "classify_assignments",
}


@dataclass(frozen=True)
class Inserted:
    """The rows the statement stored."""

    answer_id: int
    assignment_id: int
    worker_id: int


# Why the statement stored nothing.
BLOCKED = "blocked"
CLOSED = "closed"  # the campaign is done
ENDED = "ended"  # the campaign was closed by its owner
PAUSED = "paused"  # the campaign is paused
FULL = "full"  # the task has all its counted answers
SEEN = "seen"  # an MTurk worker who saw some of this grid's pictures under the same query
ANSWERED = "answered"  # the worker has an answer to this task that counts


def supported() -> bool:
    return connection.vendor == "postgresql"


# Constants written into the statement, not passed as parameters: a prepared statement's
# generic plan can then use the partial index of counted answers (verification = 'confirmed'),
# and PostgreSQL keeps the generic plan instead of planning every execution again.
CONFIRMED = str(Verification.CONFIRMED)
UNCONFIRMED = str(Verification.UNCONFIRMED)
DONE_STATE = str(Campaign.State.DONE)


def _literal(value: str) -> str:
    """One of our own constants (letters and underscores) as an SQL string."""
    if not value.replace("_", "").isalpha():
        raise ValueError(f"not a plain constant: {value!r}")
    return f"'{value}'::varchar"


def _seen_sql(kind: str) -> str:
    """Whether the worker `w` answered another grid of the grid's query that shares a picture
    with it (crowd.services.task_facts.seen_sql), when %(gate)s; false for a CLASSIFY task."""
    if kind != Assignment.Kind.CONTAINS:
        return "false"
    seen = seen_sql("w.id", "%(task)s::bigint", "%(query)s::bigint", _literal(UNCONFIRMED))
    return f"(%(gate)s::boolean AND {seen})"


@cache
def _statement(kind: str, fields: tuple[str, ...]) -> str:
    answer, answer_task, member, member_column = _TABLES[kind]
    task_column = _ASSIGNMENT_TASK[kind]  # the assignment's and the HIT's column
    other_task = ({*_ASSIGNMENT_TASK.values()} - {task_column}).pop()
    columns = "".join(f", {f}" for f in fields)
    values = "".join(f", %({f})s::{_FIELD_TYPES[f]}" for f in fields)
    return f"""
WITH found AS (
    SELECT id, blocked FROM {Worker._meta.db_table}
    WHERE source = %(source)s::varchar AND external_id = %(worker)s::varchar
), state AS (
    SELECT c.state <> {_literal(DONE_STATE)} AND c.paused_at IS NULL AND c.closed_at IS NULL
        AS open, c.closed_at IS NOT NULL AS ended, c.state = {_literal(DONE_STATE)} AS done, (
        SELECT count(*) FROM {answer._meta.db_table}
        WHERE {answer_task} = %(task)s::bigint AND verification = {_literal(CONFIRMED)}
    ) < GREATEST(c.{_PER_TASK[kind]}, COALESCE((
        SELECT max(max_assignments) FROM {Hit._meta.db_table}
        WHERE {task_column} = %(task)s::bigint
    ), 0), COALESCE((
        SELECT max(target) FROM {AnswerRequest._meta.db_table}
        WHERE {task_column} = %(task)s::bigint
    ), 0)) AS room
    FROM {Campaign._meta.db_table} c WHERE c.id = %(campaign)s::bigint
), made AS (
    INSERT INTO {Worker._meta.db_table} (source, external_id, blocked, blocked_reason, created_at)
    SELECT %(source)s::varchar, %(worker)s::varchar, false, '', %(now)s::timestamptz
    WHERE NOT EXISTS (SELECT 1 FROM found) AND EXISTS (SELECT 1 FROM state WHERE open AND room)
    ON CONFLICT (source, external_id) DO NOTHING
    RETURNING id, blocked
), worker AS (
    SELECT id, blocked FROM found UNION ALL SELECT id, blocked FROM made
), checked AS (
    SELECT w.id, w.blocked, {_seen_sql(kind)} AS seen, EXISTS (
        SELECT 1 FROM {answer._meta.db_table} a WHERE a.{answer_task} = %(task)s::bigint
            AND a.worker_id = w.id AND a.verification = {_literal(CONFIRMED)}
    ) AS answered FROM worker w
), assignment AS (
    INSERT INTO {Assignment._meta.db_table} (external_id, campaign_id, kind,
        {task_column}, {other_task}, worker_id, hit_id, status, accepted_at,
        submitted_at)
    SELECT %(assignment)s::varchar, %(campaign)s::bigint, %(kind)s::varchar, %(task)s::bigint,
        NULL, checked.id, %(hit)s::varchar, %(status)s::varchar, %(now)s::timestamptz,
        %(now)s::timestamptz
    FROM checked, state
    WHERE NOT checked.blocked AND NOT checked.seen AND NOT checked.answered AND state.open
        AND state.room
    RETURNING id, worker_id
), answer AS (
    INSERT INTO {answer._meta.db_table} (assignment_id, {answer_task}, worker_id, submitted_at,
        qc_status, qc_reason, verification{columns})
    SELECT id, %(task)s::bigint, worker_id, %(now)s::timestamptz, %(qc_status)s::varchar,
        '', %(verification)s::varchar{values}
    FROM assignment
    RETURNING id, assignment_id, worker_id
), members AS (
    INSERT INTO {member._meta.db_table} (answer_id, {member_column})
    SELECT answer.id, m FROM answer, unnest(%(members)s::bigint[]) AS m
)
SELECT (SELECT id FROM answer), (SELECT assignment_id FROM answer),
    (SELECT worker_id FROM answer), (SELECT bool_or(blocked) FROM worker),
    (SELECT open FROM state), (SELECT room FROM state), (SELECT bool_or(seen) FROM checked),
    (SELECT bool_or(answered) FROM checked), (SELECT ended FROM state), (SELECT done FROM state)
"""


_PARAM = re.compile(r"%\((\w+)\)s")
# SQLSTATE of a prepared statement gone from the connection (a DISCARD ALL or DEALLOCATE ALL
# behind our back, as a pooler in session mode sends): the plain statement, prepared again next.
_GONE = "26000"


@cache
def _prepared(kind: str, fields: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    """The PREPARE for _statement(kind, fields), its name and the parameters EXECUTE passes
    (in the order of the statement's $1, $2, ...)."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    name = f"finelabel_first_{kind}_{'_'.join(fields) or 'plain'}"
    body = _PARAM.sub(number, _statement(kind, fields))
    return f"PREPARE {name} AS {body}", name, tuple(names)


def _prepared_here() -> set[str]:
    """The statements prepared on the current database connection: kept with the DB-API
    connection they were prepared on, so a reconnect (a new one, with none) starts empty."""
    raw = connection.connection
    kept = getattr(connection, "finelabel_prepared", None)
    if kept is None or kept[0] is not raw:
        kept = connection.finelabel_prepared = (raw, set())
    return kept[1]


def _execute(cur: Any, kind: str, fields: tuple[str, ...], params: dict[str, Any]) -> None:
    """The statement, prepared on this connection when settings allow and no transaction is
    open (inside one, a failed EXECUTE would abort it before the plain statement could run)."""
    if not settings.FINELABEL_PREPARED_SUBMIT or connection.in_atomic_block:
        cur.execute(_statement(kind, fields), params)
        return
    prepare, name, names = _prepared(kind, fields)
    done = _prepared_here()
    if name not in done:
        cur.execute(prepare)
        done.add(name)
    try:
        cur.execute(f"EXECUTE {name} ({', '.join(f'%({n})s' for n in names)})", params)
    except DatabaseError as exc:
        if getattr(exc.__cause__, "pgcode", None) != _GONE:
            raise
        done.discard(name)
        cur.execute(_statement(kind, fields), params)


def insert_first_answer(
    kind: str,
    task_id: int,
    campaign_id: int,
    worker: tuple[str, str],  # (source, external id)
    assignment: tuple[str, str],  # (external id, HIT id)
    fields: dict[str, Any],
    members: list[int],
    now: datetime,
    *,
    verification: str = Verification.CONFIRMED,
    seen_query: int | None = None,
) -> Inserted | str | None:
    """Inserted; BLOCKED, CLOSED, ENDED, PAUSED, FULL, ANSWERED or SEEN (nothing stored); or
    None when the worker's row was not visible (nothing stored). Raises IntegrityError, with
    nothing stored, on any conflict. `verification`: the answer's (crowd.models.Verification);
    `seen_query`: for an MTurk worker on a grid, the grid's query label, to refuse a worker
    who saw some of its pictures under it (None: no such check)."""
    params = {
        "source": worker[0],
        "worker": worker[1],
        "assignment": assignment[0],
        "hit": assignment[1],
        "campaign": campaign_id,
        "kind": kind,
        "task": task_id,
        "status": Assignment.Status.SUBMITTED,
        "qc_status": QcStatus.PENDING,
        "verification": verification,
        "gate": seen_query is not None,
        "query": seen_query or 0,
        "now": now,
        "members": members,
        **fields,
    }
    # Inside a caller's transaction a failed statement must not spoil it: a savepoint. Outside
    # one (the web request) the statement is its own transaction, one round trip.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cur:
        _execute(cur, kind, tuple(sorted(fields)), params)
        row = cur.fetchone()
    answer_id, assignment_id, worker_id, blocked, open_, room, seen, answered, ended, done = row
    if answer_id is not None:
        return Inserted(answer_id, assignment_id, worker_id)
    if open_ is False:
        return ENDED if ended else CLOSED if done else PAUSED
    if room is False:
        return FULL
    if blocked:
        return BLOCKED
    if answered:
        return ANSWERED
    return SEEN if seen else None
