"""Adaptive collection, Django shell: which tasks need more answers, recorded as requests.

In an adaptive campaign (Campaign.contains_min_assignments / classify_min_assignments set)
each task is first asked for the minimum. `review` loads every task whose requested answers
have all come in (confirmed ones only: MTurk answers count once the sync confirms them),
calls the stage's pure rule (pipeline.rules.adaptive_contains for grids,
pipeline.rules.adaptive for CLASSIFY tasks) and records an AnswerRequest for each task that
is neither settled nor at its maximum. The crowd then gets the new slots: MTurk additional
assignments (crowd.mturk.adaptive), new invites for the local crowd (crowd.services.invites
lists only tasks below their target). A request is unique per task and answers seen, so a
second review of the same answers asks for nothing more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Subquery

from crowd.models import (
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Verification,
)
from pipeline.models import AnswerRequest, Campaign
from pipeline.rules import adaptive as classify_rule
from pipeline.rules import adaptive_contains as contains_rule
from pipeline.stages import dawid_skene
from pipeline.stages.contains_qc import load_answers

KINDS = (AnswerRequest.Kind.CONTAINS, AnswerRequest.Kind.CLASSIFY)
_TASK = {AnswerRequest.Kind.CONTAINS: "grid", AnswerRequest.Kind.CLASSIFY: "classify_task"}


def bounds(campaign: Campaign, kind: str) -> tuple[int | None, int]:
    """(minimum, maximum) answers per task of `kind`; minimum None: the fixed design."""
    if kind == AnswerRequest.Kind.CONTAINS:
        return campaign.contains_min_assignments, campaign.contains_assignments
    return campaign.classify_min_assignments, campaign.classify_assignments


def is_adaptive(campaign: Campaign, kind: str) -> bool:
    return bounds(campaign, kind)[0] is not None


def first_target(campaign: Campaign, kind: str) -> int:
    """The answers a task is published with: the minimum, or all of them (fixed design)."""
    minimum, maximum = bounds(campaign, kind)
    return maximum if minimum is None else minimum


def tasks_of(campaign: Campaign, kind: str):
    model = ContainsGrid if kind == AnswerRequest.Kind.CONTAINS else ClassifyTask
    return model.objects.filter(campaign=campaign)


def targets(campaign: Campaign, kind: str) -> dict[int, int]:
    """Task id -> the answers it is to have: its largest request, else the first target."""
    first = first_target(campaign, kind)
    asked = dict(
        AnswerRequest.objects.filter(campaign=campaign, kind=kind)
        .values_list(f"{_TASK[kind]}_id")
        .annotate(most=Max("target"))
        .values_list(f"{_TASK[kind]}_id", "most")
    )
    ids = tasks_of(campaign, kind).values_list("pk", flat=True)
    return {pk: max(first, asked.get(pk, 0)) for pk in ids}


def most_asked(task_field: str, task_id: int) -> Subquery:
    """The largest target asked of one task (`task_field`: grid or classify_task), as a
    subquery: the submit takes answers up to it (a follow-up may go past the maximum)."""
    asked = AnswerRequest.objects.filter(**{f"{task_field}_id": task_id}).order_by()
    return Subquery(asked.values(task_field).annotate(m=Max("target")).values("m"))


def counted(campaign: Campaign, kind: str) -> dict[int, int]:
    """Task id -> its answers that count (confirmed)."""
    answers = tasks_of(campaign, kind).annotate(
        n=Count("answers", filter=Q(answers__verification=Verification.CONFIRMED))
    )
    return dict(answers.values_list("pk", "n"))


def waiting(campaign: Campaign, kind: str) -> int:
    """Tasks still short of the answers asked of them."""
    have = counted(campaign, kind)
    return sum(have.get(pk, 0) < target for pk, target in targets(campaign, kind).items())


@dataclass
class ReviewReport:
    kind: str
    decided: int = 0  # tasks with all their asked answers in, weighed by the rule
    settled: int = 0
    at_maximum: int = 0
    extended: dict[int, int] = field(default_factory=dict)  # task id -> new target
    asked: int = 0  # answers asked for beyond those in
    waiting: int = 0  # tasks still short of the answers asked of them

    def __str__(self) -> str:
        return (
            f"{self.kind}: {self.decided} tasks weighed, {self.settled} settled, "
            f"{self.at_maximum} at their maximum, {len(self.extended)} asked for "
            f"{self.asked} more answers, {self.waiting} waiting for answers"
        )


def review(campaign: Campaign, kind: str) -> ReviewReport:
    """Weigh every task whose asked answers are in; record requests for the unsettled ones."""
    report = ReviewReport(kind)
    minimum, maximum = bounds(campaign, kind)
    want, have = targets(campaign, kind), counted(campaign, kind)
    if minimum is None:
        report.waiting = sum(have.get(pk, 0) < n for pk, n in want.items())
        return report
    ready = [pk for pk, n in want.items() if have.get(pk, 0) >= n]
    report.waiting = len(want) - len(ready)
    decide = _contains_decisions if kind == AnswerRequest.Kind.CONTAINS else _classify_decisions
    for pk, decision in decide(campaign, ready, minimum, maximum).items():
        report.decided += 1
        if decision.stop:
            report.settled += decision.reason == "settled"
            report.at_maximum += decision.reason == "maximum reached"
            continue
        target = min(maximum, have[pk] + decision.more)
        if _request(campaign, kind, pk, have[pk], target, decision.risk):
            report.extended[pk] = target
            report.asked += target - have[pk]
            report.waiting += 1
    return report


def _request(
    campaign: Campaign, kind: str, pk: int, seen: int, target: int, risk: float | None
) -> bool:
    """Record one request; False when these answers were weighed before (nothing new)."""
    try:
        with transaction.atomic():
            AnswerRequest.objects.create(
                campaign=campaign,
                kind=kind,
                reason=AnswerRequest.Reason.ADAPTIVE,
                answers_seen=seen,
                target=target,
                risk=risk,
                **{f"{_TASK[kind]}_id": pk},
            )
    except IntegrityError:
        return False
    return True


def _contains_decisions(campaign: Campaign, grids: list[int], minimum: int, maximum: int):
    """Grid id -> the CONTAINS rule's decision, from the grid's confirmed answers; only those
    quality control would keep now (grid and worker rules over the campaign's answers so far)
    are weighed, all of them used a slot."""
    if not grids:
        return {}
    params = campaign.params
    accuracy = None
    if params.qc_min_worker_accuracy is not None:
        accuracy = dawid_skene.worker_accuracy(campaign)
    counted = contains_rule.counted_answers(load_answers(campaign), params, accuracy)
    tested = defaultdict(list)  # grid -> (item id, query is the image's label)
    for grid, item, query, label in (
        GridItem.objects.filter(grid__in=grids, is_control=False)
        .order_by("pk")
        .values_list("grid_id", "pk", "grid__query_id", "image__label_id")
    ):
        tested[grid].append((item, query == label))
    selections = defaultdict(dict)  # grid -> answer id -> items it selected
    for pk, grid in ContainsAnswer.objects.filter(
        grid__in=grids, verification=Verification.CONFIRMED
    ).values_list("pk", "grid_id"):
        selections[grid][pk] = set()
    for grid, answer, item in ContainsSelection.objects.filter(
        answer__grid__in=grids, answer__verification=Verification.CONFIRMED
    ).values_list("answer__grid_id", "answer_id", "item_id"):
        selections[grid][answer].add(item)
    return {
        grid: contains_rule.decide(
            contains_rule.counted_pairs(tested[grid], selections[grid], counted),
            len(selections[grid]),
            minimum,
            maximum,
            params,
        )
        for grid in grids
    }


def _classify_decisions(campaign: Campaign, tasks: list[int], minimum: int, maximum: int):
    """CLASSIFY task id -> the CLASSIFY rule's decision, from its confirmed answers."""
    if not tasks:
        return {}
    confirmed = ClassifyAnswer.objects.filter(task__in=tasks, verification=Verification.CONFIRMED)
    labels = defaultdict(list)
    for answer, label in (
        ClassifyAnswerLabel.objects.filter(answer__in=confirmed)
        .order_by("answer_id", "pk")
        .values_list("answer_id", "label_id")
    ):
        labels[answer].append(label)
    by_task = defaultdict(list)
    for pk, task, main in confirmed.order_by("submitted_at", "pk").values_list(
        "pk", "task_id", "main_label_id"
    ):
        by_task[task].append((labels[pk], main))
    return {task: classify_rule.decide(by_task[task], minimum, maximum) for task in tasks}


def hold(campaign: Campaign, kind: str) -> ReviewReport | None:
    """Before the stages after a crowd step: in an adaptive campaign, weigh the answers in
    and return the review when tasks still wait for answers (the stages must wait); None
    when every task is settled or at its maximum, or the campaign is not adaptive."""
    if not is_adaptive(campaign, kind):
        return None
    report = review(campaign, kind)
    return report if report.waiting else None
