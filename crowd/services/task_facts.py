"""What the HIT pages and submit endpoints check about a task besides its content: the HITs
that publish it, whether its campaign takes answers (not done, paused or closed), and whether
a Mechanical Turk worker has already seen some of a grid's pictures under the same query.

A task's facts are the same for every worker and change seldom (a HIT published, the campaign
done), so they are kept like the task's content (crowd.caching). A HIT id missing from the kept
facts is looked up again before it is refused: a HIT published after the facts were kept is
known at once. Whether the campaign takes answers is only shown on the page from the kept
facts (pausing or closing forgets them here and in the shared cache); the submit checks it in
the database, in the same statement that stores the answer
(crowd.services.first_answer).

Seen pictures. Under one query label, a tested image appears in one grid and a control in
several (pipeline.rules.grids), so a worker who sees two grids of a query that share a picture
can tell it is a control and select only those. A Mechanical Turk worker who has answered a
grid of a query is therefore not shown (and may not answer) another grid of that query that
shares a picture with it. Answers MTurk did not confirm do not count against a worker, nor
do pending ones once the sync has found them wrong; until then, an answer given under a real
worker's id by someone else may keep that worker from a few grids of its query, never from
being paid for work done. Lab annotators get their next grids in an order that avoids such
repeats where the campaign's grids allow (crowd.services.invites).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from crowd.caching import forget, kept_or_made
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    GridItem,
    Verification,
    Worker,
)
from pipeline.models import Campaign

CONTAINS = Assignment.Kind.CONTAINS

CLOSED = "This campaign is done: it takes no more answers."
ENDED = "This campaign is closed: it takes no more answers. Please return the HIT."
ANSWERED_BEFORE = (
    "You have already answered this task (in another HIT): please return this HIT, it "
    "takes one answer per worker."
)
PAUSED = (
    "This campaign is paused: it takes no answers for now. Please return the HIT, or try "
    "again later."
)


def campaign_refusal(state: str, paused_at: object, closed_at: object) -> tuple[str, str] | None:
    """(message, code) when a campaign in this state takes no answers; None when it does."""
    if closed_at is not None:
        return ENDED, "closed"
    if state == Campaign.State.DONE:
        return CLOSED, "closed"
    if paused_at is not None:
        return PAUSED, "paused"
    return None


@dataclass(frozen=True)
class TaskFacts:
    task_id: int
    campaign_id: int
    refusal: str | None  # why the campaign takes no answers (done, paused, closed); None: open
    query_id: int | None  # a grid's query label; None for a CLASSIFY task
    hit_ids: frozenset[str]  # the open HITs (sandbox or live) that publish this task
    several_hits: bool = False  # published by more than one HIT (crowd.mturk.adaptive)


def _key(kind: str, public_id: str) -> str:
    return f"task-facts:v3:{kind}:{public_id}"


def _read(kind: str, public_id: str) -> TaskFacts | None:
    model = ContainsGrid if kind == CONTAINS else ClassifyTask
    columns = ["hits__hit_id", "hits__done", "pk", "campaign_id", "campaign__state"]
    columns += ["campaign__paused_at", "campaign__closed_at"]
    if kind == CONTAINS:
        columns.append("query_id")
    rows = list(model.objects.filter(public_id=public_id).values_list(*columns))
    if not rows:
        return None
    _, _, pk, campaign, state, paused_at, closed_at, *query = rows[0]
    refusal = campaign_refusal(state, paused_at, closed_at)
    return TaskFacts(
        task_id=pk,
        campaign_id=campaign,
        refusal=refusal[0] if refusal else None,
        query_id=query[0] if query else None,
        # A HIT closed on MTurk with every assignment reviewed takes no more work.
        hit_ids=frozenset(row[0] for row in rows if row[0] and not row[1]),
        several_hits=len({row[0] for row in rows if row[0]}) > 1,
    )


def task_facts(kind: str, public_id: str) -> TaskFacts | None:
    """The kept facts of a task, None for an unknown one (not kept)."""
    return kept_or_made(_key(kind, public_id), lambda: _read(kind, public_id))


def forget_campaign(campaign_id: int) -> None:
    """Drop the kept facts of every task of a campaign (paused, resumed or closed): in this
    process and the shared cache; other processes' own copies age out (crowd.caching)."""
    grids = ContainsGrid.objects.filter(campaign_id=campaign_id).values_list("public_id", flat=True)
    tasks = ClassifyTask.objects.filter(campaign_id=campaign_id).values_list("public_id", flat=True)
    for kind, ids in ((CONTAINS, grids), (Assignment.Kind.CLASSIFY, tasks)):
        for public_id in ids.iterator():
            forget(_key(kind, public_id))


def published_hit(kind: str, public_id: str, hit_id: str) -> TaskFacts | None:
    """The task's facts when `hit_id` is a HIT this campaign published for this task, and not
    done (closed on MTurk with every assignment reviewed); None otherwise."""
    if not hit_id:
        return None
    facts = task_facts(kind, public_id)
    if facts is not None and hit_id in facts.hit_ids:
        return facts
    forget(_key(kind, public_id))  # published since it was kept?
    facts = task_facts(kind, public_id)
    return facts if facts is not None and hit_id in facts.hit_ids else None


def seen_sql(worker: str, task: str, query: str, unconfirmed: str) -> str:
    """SQL: whether the worker (`worker`: an SQL expression of its id) has a counted or
    pending answer to another grid of the query that shares a picture with grid `task`
    (module docstring). The arguments are SQL expressions or placeholders. It reads the
    query's other grids (a few), then the worker's answer to each (index on worker and grid),
    then their pictures: its cost does not grow with the worker's answers nor the grid's."""
    answers, grids = ContainsAnswer._meta.db_table, ContainsGrid._meta.db_table
    items = GridItem._meta.db_table
    return f"""EXISTS (
    SELECT 1 FROM {grids} g
    JOIN {answers} a ON a.grid_id = g.id AND a.worker_id = {worker}
    WHERE g.query_id = {query} AND g.id <> {task} AND a.verification <> {unconfirmed}
        AND EXISTS (
            SELECT 1 FROM {items} i JOIN {items} j ON j.image_id = i.image_id
            WHERE i.grid_id = g.id AND j.grid_id = {task}
        )
)"""


def _seen_for(worker: str, grid_id: int, query_id: int) -> str:
    """seen_sql with our own ids written in (integers) and the constant: no parameters."""
    unconfirmed = f"'{Verification.UNCONFIRMED}'"
    return seen_sql(worker, str(int(grid_id)), str(int(query_id)), unconfirmed)


def seen_expression(worker_pk: int, grid_id: int, query_id: int) -> RawSQL:
    """seen_sql for one worker (by pk), as a boolean expression to annotate a query with."""
    return RawSQL(_seen_for(str(int(worker_pk)), grid_id, query_id), (), BooleanField())


def has_seen_pictures(worker_id: str, facts: TaskFacts) -> bool:
    """Whether this MTurk worker (by WorkerId) may not see this grid (module docstring): one
    query."""
    if facts.query_id is None:
        return False
    sql = _seen_for("w.id", facts.task_id, facts.query_id)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {sql} FROM {Worker._meta.db_table} w "
            "WHERE w.source = %s AND w.external_id = %s",
            [Worker.Source.MTURK, worker_id],
        )
        row = cur.fetchone()
    return bool(row and row[0])


def answered_before(worker_id: str, assignment_id: str, kind: str, facts: TaskFacts) -> bool:
    """Whether this MTurk worker has a counted answer to the task under another assignment (a
    task may have several HITs: crowd.mturk.adaptive): the submit would refuse it, so the page
    says so when the HIT is accepted. Pending answers do not count: anyone may have given one
    under this worker's id (crowd.mturk.sync); reopening the assignment that holds the answer
    is not refused. Asked only of a task with several HITs: MTurk gives a worker one
    assignment per HIT."""
    if not facts.several_hits:
        return False
    answers = ContainsAnswer.objects if kind == CONTAINS else ClassifyAnswer.objects
    task = "grid_id" if kind == CONTAINS else "task_id"
    return (
        answers.filter(
            **{task: facts.task_id},
            worker__source=Worker.Source.MTURK,
            worker__external_id=worker_id,
        )
        .filter(verification=Verification.CONFIRMED)
        .exclude(assignment__external_id=assignment_id)
        .exists()
    )
