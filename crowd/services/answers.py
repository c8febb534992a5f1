"""Storing the crowd's answers: one CONTAINS or CLASSIFY answer per assignment.

Each submit function validates everything first and then writes the worker, the assignment
and the answer in one transaction, so a refused submission stores nothing. Every refusal is a
SubmissionError with a message meant for the person (or program) that sent the answer; the
HTTP layer answers it with its status: 400 for bad input, 403 for a HIT this campaign never
published, 409 for a task that takes no more answers.

Whose answer counts. An answer through a signed invite (local or simulated crowd) is verified
by the signature and stored confirmed. An answer through Mechanical Turk's URL parameters is
stored pending: anyone can write those parameters, so it counts (quality control, frequencies,
aggregation, payment) only once the MTurk sync has seen MTurk list that worker's submitted
assignment of that HIT (crowd.mturk.sync). It must name a HIT this campaign published for the
task, or it is refused at once. Confirmation happens in the sync, never here: the submit path
makes the same queries whatever the answer's source.

Repeats are safe: the same assignment submitted again by the same worker returns the answer
stored the first time (a worker double-clicking, or a retry after a lost response), also once
the task has closed; the same worker answering the same grid or task under another assignment
is refused once one of their answers to it counts. Pending answers do not lock anyone out: an
answer given first under a real worker's id (or assignment id) is stored beside the real one,
and the sync keeps the one MTurk lists.

A task takes answers until it has all it needs: its confirmed answers reach the campaign's
answers per task (or the largest MaxAssignments of its HITs, when a HIT was extended), and
none while the campaign is paused, nor once it is done or closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from crowd.caching import forget
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ContainsAnswer,
    Hit,
    Verification,
    Worker,
)
from crowd.services import first_answer
from crowd.services.submission_input import (
    SubmissionError,
    Submitter,
    check_submitter,
    checked_duration,
    checked_position,
    checked_positions,
    checked_text,
)
from crowd.services.task_facts import (
    CLOSED,
    ENDED,
    PAUSED,
    campaign_refusal,
    published_hit,
    seen_expression,
)
from crowd.services.task_members import (
    KINDS,
    Kind,
    members_key,
    task_members,
)
from pipeline.models import Campaign
from pipeline.stages.adaptive import most_asked

ALREADY_ANSWERED = "This worker has already answered this task under another assignment."
BLOCKED = "This worker may no longer submit answers."
UNKNOWN_HIT = "This HIT is not one of this task's: open the task from Mechanical Turk."
FULL = "This task has all the answers it needs: please return the HIT."
SEEN = (
    "You have already answered a task of this label with some of the same images: please "
    "return this HIT."
)


class Refused(SubmissionError):
    """A valid answer the task does not take from this worker (closed, full, pictures seen
    before, answered already): a repeat of an answer already stored still gets it back."""

    def __init__(self, message: str, code: str, status: int = 409):
        super().__init__(message, code, status)


_REFUSALS = {
    first_answer.CLOSED: (CLOSED, "closed"),
    first_answer.ENDED: (ENDED, "closed"),
    first_answer.PAUSED: (PAUSED, "paused"),
    first_answer.FULL: (FULL, "full"),
    first_answer.SEEN: (SEEN, "seen"),
    first_answer.ANSWERED: (ALREADY_ANSWERED, "already_answered", 400),
}


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


def submit_contains(
    grid_public_id: str, submitter: Submitter, positions: Any, duration_ms: Any
) -> Stored:
    """Store one worker's selection for a grid: `positions` are the selected grid positions."""
    check_submitter(submitter)
    public_id = checked_text(grid_public_id, "grid")
    valid, grid_id, campaign_id = task_members(Assignment.Kind.CONTAINS, public_id)
    query = _check_hit(Assignment.Kind.CONTAINS, public_id, submitter)
    chosen = checked_positions(positions, "positions")
    if outside := sorted(set(chosen) - valid.keys()):
        raise SubmissionError(
            f"Positions {outside} are not in this grid (it has positions "
            f"{min(valid, default=0)} to {max(valid, default=0)}).",
            "out_of_range",
        )
    answer = _Answer(
        _Target(Assignment.Kind.CONTAINS, grid_id, campaign_id, public_id, query),
        {"duration_ms": checked_duration(duration_ms)},
        [valid[p] for p in sorted(set(chosen))],
    )
    return _store(answer, submitter)


def submit_classify(
    task_public_id: str, submitter: Submitter, positions: Any, main_position: Any, duration_ms: Any
) -> Stored:
    """Store one worker's CLASSIFY answer. `positions` are the options marked present (one per
    distinct object), `main_position` the option naming the main object; both are the
    positions at which the task's options were shown."""
    check_submitter(submitter)
    public_id = checked_text(task_public_id, "task")
    options, task_id, campaign_id = task_members(Assignment.Kind.CLASSIFY, public_id)
    _check_hit(Assignment.Kind.CLASSIFY, public_id, submitter)
    chosen = checked_positions(positions, "labels")
    if not chosen:
        raise SubmissionError("Select at least one label present in the image.", "no_label")
    main = checked_position(main_position, "main label")
    if outside := sorted(set(chosen + [main]) - options.keys()):
        raise SubmissionError(f"Options {outside} are not options of this task.", "out_of_range")
    if main not in chosen:
        raise SubmissionError(
            "The main label must be one of the labels selected as present.", "main_not_selected"
        )
    answer = _Answer(
        _Target(Assignment.Kind.CLASSIFY, task_id, campaign_id, public_id),
        {"main_label_id": options[main], "duration_ms": checked_duration(duration_ms)},
        [options[p] for p in sorted(set(chosen))],
    )
    return _store(answer, submitter)


def _check_hit(kind: str, public_id: str, submitter: Submitter) -> int | None:
    """Refuse an MTurk answer to a HIT this campaign never published for the task (a kept
    read). For an MTurk worker on a grid: the grid's query, for the seen-pictures check."""
    if submitter.source != Worker.Source.MTURK:
        return None
    facts = published_hit(kind, public_id, submitter.hit_id)
    if facts is None:
        raise SubmissionError(UNKNOWN_HIT, "unknown_hit", status=403)
    return facts.query_id


@dataclass(frozen=True)
class _Target:
    """The grid or CLASSIFY task answered, as ids; `seen_query`: the grid's query, when the
    worker may not answer grids of that query whose pictures they saw (MTurk workers)."""

    kind: str
    task_id: int
    campaign_id: int
    public_id: str
    seen_query: int | None = None

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    def exists(self) -> bool:
        return self.spec.model.objects.filter(pk=self.task_id).exists()


@dataclass(frozen=True)
class _Answer:
    """A validated answer, ready to store: its own fields and its member rows' ids (grid items
    selected, or labels present)."""

    target: _Target
    fields: dict[str, Any]  # duration_ms, and a CLASSIFY answer's main_label_id
    members: list[int]

    def create(
        self, assignment: Assignment, worker: Worker, verification: str
    ) -> ContainsAnswer | ClassifyAnswer:
        """The answer and its member rows, through the ORM."""
        spec = self.target.spec
        answer = spec.answer.objects.create(
            assignment=assignment,
            worker=worker,
            verification=verification,
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
    (one assignment id per worker; one counted answer per worker and task) catch everything
    else. On PostgreSQL that is one statement (crowd.services.first_answer); elsewhere, or
    when that statement could not see the worker's row, the same inserts through the ORM in
    one transaction. A conflict rolls that attempt back whole. The next most common submit, a
    repeat of an answered assignment, is then found in one query; anything else goes to the
    checked path, which returns the first answer of a repeat and refuses the rest.

    A task that takes no more answers (Refused) is found by the same statement, or by one
    query more on the ORM path; a repeat of an answer already stored still gets it back.
    """
    target = answer.target
    try:
        stored = _first_in_one_statement(answer, submitter) if first_answer.supported() else None
        if stored is None:
            with transaction.atomic():
                worker = _worker(submitter)
                _check_open(answer, worker)
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
                created = answer.create(assignment, worker, submitter.verification)
                stored = Stored.of(created, target.campaign_id, True)
        return stored
    except IntegrityError:
        pass
    except Refused:
        if (earlier := _answered_before(answer, submitter)) is not None:
            return earlier
        raise
    if (earlier := _answered_before(answer, submitter)) is not None:
        return earlier
    try:
        return _store_checked(answer, submitter)
    except IntegrityError as exc:
        if not target.exists():  # rebuilt since its kept members were read
            forget(members_key(target.kind, target.public_id))
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
        verification=submitter.verification,
        seen_query=target.seen_query,
    )
    if inserted == first_answer.BLOCKED:
        raise SubmissionError(BLOCKED, "blocked")
    if inserted in _REFUSALS:
        raise Refused(*_REFUSALS[inserted])
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
    """This worker's assignment may exist already: lock it, then check which task it is and
    whether it (or this worker, for this task) has an answer."""
    target, spec = answer.target, answer.target.spec
    with transaction.atomic():
        worker = _worker(submitter)
        assignment, _ = Assignment.objects.get_or_create(
            external_id=submitter.assignment_id,
            worker=worker,
            defaults={
                "campaign_id": target.campaign_id,
                "kind": target.kind,
                f"{spec.assignment_task}_id": target.task_id,
                "hit_id": submitter.hit_id,
            },
        )
        # Serialise concurrent submits of one assignment: the second waits, then sees the
        # first one's answer.
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        task_id = getattr(assignment, f"{spec.assignment_task}_id")
        if task_id != target.task_id or assignment.kind != target.kind:
            raise SubmissionError("This assignment belongs to another task.", "wrong_task")
        earlier = spec.answer.objects.filter(assignment=assignment).first()
        if earlier is not None:
            return Stored.of(earlier, assignment.campaign_id, False)
        _check_open(answer, worker)
        verification = submitter.verification
        # An assignment MTurk has reviewed already (only the sync and the review commands,
        # from MTurk's own answers, set these statuses) whose answer reaches us only now.
        if verification == Verification.PENDING and assignment.status in _MTURK_REVIEWED:
            verification = Verification.CONFIRMED
        stored = answer.create(assignment, worker, verification)
        assignment.status = Assignment.Status.SUBMITTED
        assignment.submitted_at = timezone.now()
        assignment.save(update_fields=["status", "submitted_at"])
        return Stored.of(stored, assignment.campaign_id, True)


_MTURK_REVIEWED = (Assignment.Status.APPROVED, Assignment.Status.REJECTED)


def _check_open(answer: _Answer, worker: Worker) -> None:
    """On the ORM path, in one query: Refused when the campaign is done, paused or closed,
    the task has all its counted answers, the worker has an answer to it that counts, or (an
    MTurk worker on a grid) the worker saw some of its pictures under the same query. The
    one-statement path checks the same in its statement."""
    target, spec = answer.target, answer.target.spec
    task = {f"{spec.answer_task}_id": target.task_id}
    counted = spec.answer.objects.filter(**task, verification=Verification.CONFIRMED)
    count = counted.order_by().values(spec.answer_task).annotate(n=Count("pk")).values("n")
    hit_task = spec.assignment_task
    most = (
        Hit.objects.filter(**{f"{hit_task}_id": target.task_id})
        .order_by()
        .values(hit_task)
        .annotate(m=Max("max_assignments"))
        .values("m")
    )
    asked = most_asked(hit_task, target.task_id)  # follow-up may ask for more than per task
    seen = (
        seen_expression(worker.pk, target.task_id, target.seen_query)
        if target.seen_query is not None
        else Value(False)
    )
    row = (
        Campaign.objects.filter(pk=target.campaign_id)
        .annotate(
            counted=Coalesce(Subquery(count), Value(0)),
            most=Greatest(Coalesce(Subquery(most), Value(0)), Coalesce(asked, Value(0))),
            answered=Exists(counted.filter(worker=worker)),
            seen=seen,
        )
        .values_list(
            "state",
            "paused_at",
            "closed_at",
            f"{target.kind}_assignments",
            "counted",
            "most",
            "answered",
            "seen",
        )
        .first()
    )
    if row is None:  # the campaign is gone
        raise SubmissionError(spec.unknown, "unknown_task")
    state, paused_at, closed_at, wanted, counted_now, most_now, answered, seen_before = row
    if refusal := campaign_refusal(state, paused_at, closed_at):
        raise Refused(*refusal)
    if counted_now >= max(wanted, most_now):
        raise Refused(FULL, "full")
    if answered:
        raise Refused(ALREADY_ANSWERED, "already_answered", 400)
    if seen_before:
        raise Refused(SEEN, "seen")


def _worker(submitter: Submitter) -> Worker:
    """The submitting worker (created on a first answer); refused if blocked."""
    ids = {"source": submitter.source, "external_id": submitter.worker_id}
    worker = Worker.objects.filter(**ids).first()
    if worker is None:
        # Created here (a first answer); one query fewer than get_or_create, which reads again.
        try:
            with transaction.atomic():
                worker = Worker.objects.create(**ids)
        except IntegrityError:  # created meanwhile by another submit of this worker
            worker = Worker.objects.get(**ids)
    if worker.blocked:
        raise SubmissionError(BLOCKED, "blocked")
    return worker
