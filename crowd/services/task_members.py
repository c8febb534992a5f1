"""The members of a task on the submit path: a grid's items or a CLASSIFY task's labels by
position, with the task's and campaign's ids, and what differs between the two kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crowd.caching import kept_or_made
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyOption,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
)
from crowd.services.submission_input import SubmissionError

UNKNOWN_GRID = "Unknown grid."
UNKNOWN_TASK = "Unknown task."

MemberRows = Iterable[tuple[int, int, int, int]]


def grid_rows(public_id: str) -> MemberRows:
    return GridItem.objects.filter(grid__public_id=public_id).values_list(
        "position", "pk", "grid_id", "grid__campaign_id"
    )


def option_rows(public_id: str) -> MemberRows:
    return ClassifyOption.objects.filter(task__public_id=public_id).values_list(
        "position", "label_id", "task_id", "task__campaign_id"
    )


@dataclass(frozen=True)
class Kind:
    """What differs between the two kinds of task on the submit path."""

    model: type
    rows_of: Callable[[str], MemberRows]  # (position, member, task id, campaign id)
    unknown: str
    answer: type[ContainsAnswer] | type[ClassifyAnswer]
    answer_task: str  # the answer's field naming the task
    assignment_task: str  # the assignment's field naming the task
    member: type[ContainsSelection] | type[ClassifyAnswerLabel]
    member_field: str  # the member row's field naming the grid item or label


KINDS = {
    Assignment.Kind.CONTAINS: Kind(
        ContainsGrid, grid_rows, UNKNOWN_GRID,
        ContainsAnswer, "grid", "grid", ContainsSelection, "item",
    ),
    Assignment.Kind.CLASSIFY: Kind(
        ClassifyTask, option_rows, UNKNOWN_TASK,
        ClassifyAnswer, "task", "classify_task", ClassifyAnswerLabel, "label",
    ),
}  # fmt: skip


def members_key(kind: str, public_id: str) -> str:
    return f"members:{kind}:{public_id}"


# A task's members are fixed while it can be answered (a task with assignments is never
# rebuilt; a rebuilt one has a new public id), and the submit path is the busiest write there
# is: they are read once and kept (crowd.caching), like the pages' task content.
def task_members(kind: str, public_id: str) -> tuple[dict[int, int], int, int]:
    """position -> member id for a task, with the task's and campaign's ids: members and ids in
    one query; the task alone is read when it has no members."""
    spec = KINDS[kind]

    def read() -> tuple[dict[int, int], int, int]:
        rows = list(spec.rows_of(public_id))
        if rows:
            _, _, task_id, campaign_id = rows[0]
        else:
            task = spec.model.objects.filter(public_id=public_id).values_list("pk", "campaign_id")
            if not task:
                raise SubmissionError(spec.unknown, "unknown_task")
            task_id, campaign_id = task[0]
        return {position: member for position, member, _, _ in rows}, task_id, campaign_id

    return kept_or_made(members_key(kind, public_id), read)
