"""Storing the crowd's answers: one CONTAINS or CLASSIFY answer per assignment.

Each submit function validates everything first and then writes the worker, the assignment
and the answer in one transaction, so a refused submission stores nothing. Every refusal is a
SubmissionError with a message meant for the person (or program) that sent the answer; the
HTTP layer turns it into a 400.

Repeats are safe: the same assignment submitted again returns the answer stored the first
time (a worker double-clicking, or a retry after a lost response); the same worker answering
the same grid or task under another assignment is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import FinelabelError
from crowd.caching import forget, kept_or_made
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
    Worker,
)
from crowd.services import first_answer

# What MTurk puts in assignmentId while a worker only previews a HIT.
PREVIEW_ASSIGNMENT_ID = "ASSIGNMENT_ID_NOT_AVAILABLE"
MAX_ID_LENGTH = 128
# A day: anything longer is not a time on task but a broken clock or a forged value.
MAX_DURATION_MS = 24 * 3600 * 1000
UNKNOWN_GRID = "Unknown grid."
UNKNOWN_TASK = "Unknown task."
ALREADY_ANSWERED = "This worker has already answered this task under another assignment."
BLOCKED = "This worker may no longer submit answers."


class SubmissionError(FinelabelError):
    """A submission was refused; `message` says why, in words fit to show the sender."""


@dataclass(frozen=True)
class Submitter:
    """Who submits: the worker and the assignment, as MTurk (or a local invite) names them."""

    worker_id: str
    assignment_id: str
    hit_id: str = ""
    source: str = Worker.Source.MTURK


@dataclass(frozen=True)
class Stored:
    """The stored answer, as ids; `created` is False when the assignment had already been
    answered. Ids, not model instances: the one-statement path (crowd.services.first_answer)
    builds none, and building an assignment and an answer for every first answer would add a
    good part of a submit's CPU for fields no caller reads."""

    answer_id: int
    assignment_id: int
    worker_id: int
    campaign_id: int
    created: bool

    @classmethod
    def of(cls, answer: ContainsAnswer | ClassifyAnswer, campaign_id: int, created: bool) -> Stored:
        return cls(answer.pk, answer.assignment_id, answer.worker_id, campaign_id, created)


MemberRows = Iterable[tuple[int, int, int, int]]


def _grid_rows(public_id: str) -> MemberRows:
    return GridItem.objects.filter(grid__public_id=public_id).values_list(
        "position", "pk", "grid_id", "grid__campaign_id"
    )


def _option_rows(public_id: str) -> MemberRows:
    return ClassifyOption.objects.filter(task__public_id=public_id).values_list(
        "position", "label_id", "task_id", "task__campaign_id"
    )


@dataclass(frozen=True)
class _Kind:
    """What differs between the two kinds of task on the submit path."""

    model: type
    rows_of: Callable[[str], MemberRows]  # (position, member, task id, campaign id)
    unknown: str
    answer: type[ContainsAnswer] | type[ClassifyAnswer]
    answer_task: str  # the answer's field naming the task
    assignment_task: str  # the assignment's field naming the task
    member: type[ContainsSelection] | type[ClassifyAnswerLabel]
    member_field: str  # the member row's field naming the grid item or label


_KINDS = {
    Assignment.Kind.CONTAINS: _Kind(
        ContainsGrid, _grid_rows, UNKNOWN_GRID,
        ContainsAnswer, "grid", "grid", ContainsSelection, "item",
    ),
    Assignment.Kind.CLASSIFY: _Kind(
        ClassifyTask, _option_rows, UNKNOWN_TASK,
        ClassifyAnswer, "task", "classify_task", ClassifyAnswerLabel, "label",
    ),
}  # fmt: skip


def _members_key(kind: str, public_id: str) -> str:
    return f"members:{kind}:{public_id}"


# A task's members are fixed while it can be answered (a task with assignments is never
# rebuilt; a rebuilt one has a new public id), and the submit path is the busiest write there
# is: they are read once and kept (crowd.caching), like the pages' task content.
def _task_members(kind: str, public_id: str) -> tuple[dict[int, int], int, int]:
    """position -> member id for a task, with the task's and campaign's ids: members and ids in
    one query; the task alone is read when it has no members."""
    spec = _KINDS[kind]

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

    return kept_or_made(_members_key(kind, public_id), read)


def submit_contains(
    grid_public_id: str, submitter: Submitter, positions: Any, duration_ms: Any
) -> Stored:
    """Store one worker's selection for a grid: `positions` are the selected grid positions."""
    _check_submitter(submitter)
    public_id = _text(grid_public_id, "grid")
    valid, grid_id, campaign_id = _task_members(Assignment.Kind.CONTAINS, public_id)
    chosen = _positions(positions, "positions")
    if outside := sorted(set(chosen) - valid.keys()):
        raise SubmissionError(
            f"Positions {outside} are not in this grid (it has positions "
            f"{min(valid, default=0)} to {max(valid, default=0)}).",
            "out_of_range",
        )
    answer = _Answer(
        _Target(Assignment.Kind.CONTAINS, grid_id, campaign_id, public_id),
        {"duration_ms": _duration(duration_ms)},
        [valid[p] for p in sorted(set(chosen))],
    )
    return _store(answer, submitter)


def submit_classify(
    task_public_id: str, submitter: Submitter, positions: Any, main_position: Any, duration_ms: Any
) -> Stored:
    """Store one worker's CLASSIFY answer. `positions` are the options marked present (one per
    distinct object), `main_position` the option naming the main object; both are the
    positions at which the task's options were shown."""
    _check_submitter(submitter)
    public_id = _text(task_public_id, "task")
    options, task_id, campaign_id = _task_members(Assignment.Kind.CLASSIFY, public_id)
    chosen = _positions(positions, "labels")
    if not chosen:
        raise SubmissionError("Select at least one label present in the image.", "no_label")
    main = _position(main_position, "main label")
    if outside := sorted(set(chosen + [main]) - options.keys()):
        raise SubmissionError(f"Options {outside} are not options of this task.", "out_of_range")
    if main not in chosen:
        raise SubmissionError(
            "The main label must be one of the labels selected as present.", "main_not_selected"
        )
    answer = _Answer(
        _Target(Assignment.Kind.CLASSIFY, task_id, campaign_id, public_id),
        {"main_label_id": options[main], "duration_ms": _duration(duration_ms)},
        [options[p] for p in sorted(set(chosen))],
    )
    return _store(answer, submitter)


@dataclass(frozen=True)
class _Target:
    """The grid or CLASSIFY task answered, as ids."""

    kind: str
    task_id: int
    campaign_id: int
    public_id: str

    @property
    def spec(self) -> _Kind:
        return _KINDS[self.kind]

    def exists(self) -> bool:
        return self.spec.model.objects.filter(pk=self.task_id).exists()


@dataclass(frozen=True)
class _Answer:
    """A validated answer, ready to store: its own fields and its member rows' ids (grid items
    selected, or labels present)."""

    target: _Target
    fields: dict[str, Any]  # duration_ms, and a CLASSIFY answer's main_label_id
    members: list[int]

    def create(self, assignment: Assignment, worker: Worker) -> ContainsAnswer | ClassifyAnswer:
        """The answer and its member rows, through the ORM."""
        spec = self.target.spec
        answer = spec.answer.objects.create(
            assignment=assignment,
            worker=worker,
            **{f"{spec.answer_task}_id": self.target.task_id},
            **self.fields,
        )
        spec.member.objects.bulk_create(
            spec.member(answer=answer, **{f"{spec.member_field}_id": m}) for m in self.members
        )
        return answer


def _store(answer: _Answer, submitter: Submitter) -> Stored:
    """The shared write path: worker, assignment, repeat checks and the answer, atomically.

    Nearly every submit is a first answer to a new assignment, so that case goes first with the
    fewest round trips: insert the assignment and the answer and let the unique constraints
    (assignment id; one answer per worker and task) catch everything else. On PostgreSQL that
    is one statement (crowd.services.first_answer); elsewhere, or when that statement
    could not see the worker's row, the same inserts through the ORM in one transaction. A
    conflict rolls that attempt back whole. The next most common submit, a repeat of an
    answered assignment, is then found in one query; anything else goes to the checked path,
    which returns the first answer of a repeat and refuses the rest.
    """
    target = answer.target
    try:
        stored = _first_in_one_statement(answer, submitter) if first_answer.supported() else None
        if stored is None:
            with transaction.atomic():
                worker = _worker(submitter)
                assignment = Assignment.objects.create(
                    external_id=submitter.assignment_id,
                    campaign_id=target.campaign_id,
                    kind=target.kind,
                    worker=worker,
                    hit_id=submitter.hit_id,
                    status=Assignment.Status.SUBMITTED,
                    submitted_at=timezone.now(),
                    **{f"{target.spec.assignment_task}_id": target.task_id},
                )
                stored = Stored.of(answer.create(assignment, worker), target.campaign_id, True)
        return stored
    except IntegrityError:
        pass
    if (earlier := _answered_before(answer, submitter)) is not None:
        return earlier
    try:
        return _store_checked(answer, submitter)
    except IntegrityError as exc:
        if not target.exists():  # rebuilt since its kept members were read
            forget(_members_key(target.kind, target.public_id))
            raise SubmissionError(target.spec.unknown, "unknown_task") from exc
        # Two assignments of one worker racing on the same task: the unique constraint on
        # (task, worker) lets one through and lands the other here, with nothing stored.
        raise SubmissionError(ALREADY_ANSWERED, "already_answered") from exc


def _first_in_one_statement(answer: _Answer, submitter: Submitter) -> Stored | None:
    """The PostgreSQL statement's first answer (crowd.services.first_answer), as the
    ORM path would return it; None when that statement stored nothing (take the ORM path)."""
    target, now = answer.target, timezone.now()
    inserted = first_answer.insert_first_answer(
        target.kind,
        target.task_id,
        target.campaign_id,
        (submitter.source, submitter.worker_id),
        (submitter.assignment_id, submitter.hit_id),
        answer.fields,
        answer.members,
        now,
    )
    if inserted == first_answer.BLOCKED:
        raise SubmissionError(BLOCKED, "blocked")
    if inserted is None:
        return None
    return Stored(
        inserted.answer_id, inserted.assignment_id, inserted.worker_id, target.campaign_id, True
    )


def _answered_before(answer: _Answer, submitter: Submitter) -> Stored | None:
    """A repeat (a double click, a retry after a lost response) in one query: the answer
    already stored for this assignment when the assignment is this worker's, for this task,
    and the worker may still submit; None for anything else, which the checked path sorts
    out. One query because, in a busy web process, every round trip waits for the GIL again:
    the checked path's transaction, lock and reads would make a repeat many times slower than
    a first answer."""
    target, spec = answer.target, answer.target.spec
    rows = spec.answer.objects.filter(
        assignment__external_id=submitter.assignment_id,
        assignment__kind=target.kind,
        **{f"assignment__{spec.assignment_task}_id": target.task_id},
        worker__source=submitter.source,
        worker__external_id=submitter.worker_id,
        worker__blocked=False,
    ).values_list("pk", "assignment_id", "worker_id", "assignment__campaign_id")
    found = list(rows[:1])
    return Stored(*found[0], created=False) if found else None


def _store_checked(answer: _Answer, submitter: Submitter) -> Stored:
    """The assignment may exist already: lock it, then check whose and which task it is and
    whether it (or this worker, for this task) has an answer."""
    target, spec = answer.target, answer.target.spec
    with transaction.atomic():
        worker = _worker(submitter)
        assignment, _ = Assignment.objects.get_or_create(
            external_id=submitter.assignment_id,
            defaults={
                "campaign_id": target.campaign_id,
                "kind": target.kind,
                f"{spec.assignment_task}_id": target.task_id,
                "worker": worker,
                "hit_id": submitter.hit_id,
            },
        )
        # Serialise concurrent submits of one assignment: the second waits, then sees the
        # first one's answer.
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        task_id = getattr(assignment, f"{spec.assignment_task}_id")
        if task_id != target.task_id or assignment.kind != target.kind:
            raise SubmissionError("This assignment belongs to another task.", "wrong_task")
        if assignment.worker_id != worker.pk:
            raise SubmissionError("This assignment belongs to another worker.", "wrong_worker")
        earlier = spec.answer.objects.filter(assignment=assignment).first()
        if earlier is not None:
            return Stored.of(earlier, assignment.campaign_id, False)
        if spec.answer.objects.filter(
            worker=worker, **{f"{spec.answer_task}_id": target.task_id}
        ).exists():
            raise SubmissionError(ALREADY_ANSWERED, "already_answered")
        stored = answer.create(assignment, worker)
        assignment.status = Assignment.Status.SUBMITTED
        assignment.submitted_at = timezone.now()
        assignment.save(update_fields=["status", "submitted_at"])
        return Stored.of(stored, assignment.campaign_id, True)


def _worker(submitter: Submitter) -> Worker:
    """The submitting worker (created on a first answer); refused if blocked."""
    worker = Worker.objects.filter(source=submitter.source, external_id=submitter.worker_id).first()
    if worker is None:
        worker, _ = Worker.objects.get_or_create(
            source=submitter.source, external_id=submitter.worker_id
        )
    if worker.blocked:
        raise SubmissionError(BLOCKED, "blocked")
    return worker


def _check_submitter(submitter: Submitter) -> None:
    if submitter.assignment_id == PREVIEW_ASSIGNMENT_ID:
        raise SubmissionError("This is a preview: accept the HIT before submitting.", "preview")
    _text(submitter.worker_id, "worker id")
    _text(submitter.assignment_id, "assignment id")
    if not isinstance(submitter.hit_id, str) or len(submitter.hit_id) > MAX_ID_LENGTH:
        raise SubmissionError("The HIT id is malformed.", "malformed")
    if submitter.source not in Worker.Source.values:
        raise SubmissionError(f"Unknown worker source {submitter.source!r}.", "malformed")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise SubmissionError(f"The {what} is missing or malformed.", "malformed")
    return value


def _position(value: Any, what: str) -> int:
    # bool is an int in Python; true/false in a JSON body is malformed, not position 1/0.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SubmissionError(f"The {what} must be a non-negative integer.", "malformed")
    return value


def _positions(values: Any, what: str) -> list[int]:
    if not isinstance(values, list):
        raise SubmissionError(f"'{what}' must be a list of integers.", "malformed")
    chosen = [_position(v, what) for v in values]
    if len(set(chosen)) != len(chosen):
        raise SubmissionError(f"'{what}' lists a position twice.", "malformed")
    return chosen


def _duration(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DURATION_MS:
        raise SubmissionError(
            f"The time on task must be an integer number of milliseconds between 0 and "
            f"{MAX_DURATION_MS}.",
            "malformed",
        )
    return value
