"""Shell of the simulated CLASSIFY crowd: answers from `simulation.classify_model`, stored as
Worker, Assignment, ClassifyAnswer and ClassifyAnswerLabel rows, in bulk and in one
transaction.

The truth the crowd answers from: each image's dataset label is its main object; a second
object comes from the demo dataset's file names (`<wnid>_with_<wnid>_<n>.jpg`, see
simulation/demo_dataset.py). Callers with better knowledge pass `truth` (image id -> objects, each a
tuple of LabelClass pks naming it, main object first).

Re-running replaces the campaign's previous simulated answers (those of simulated workers)
and never touches answers from real workers; each task is filled up to the campaign's
`classify_assignments` answers. Same seed, same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from catalogue.models import LabelClass
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyOption,
    ClassifyTask,
    Verification,
    Worker,
)
from pipeline.models import Campaign
from pipeline.stages.statistics import CLASSIFY_ANSWER_TABLES, analyze
from simulation.classify_model import CrowdModel, SimTask, simulate
from simulation.demo_dataset import second_objects

Progress = Callable[[int, int], object]
WORKER_PREFIX = "classify-"
BATCH = 5000

Truth = Mapping[int, tuple[tuple[int, ...], ...]]


@dataclass(frozen=True)
class SimulationSummary:
    tasks: int
    answers: int
    spammer_answers: int
    workers: int
    replaced: int  # simulated answers of an earlier run, removed

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.answers} simulated CLASSIFY answers to {self.tasks} tasks from "
            f"{self.workers} workers ({self.spammer_answers} from spammers); "
            f"{self.replaced} earlier simulated answers replaced"
        )


def demo_truth(campaign: Campaign) -> dict[int, tuple[tuple[int, ...], ...]]:
    """Image id -> true objects: the dataset label, plus a second object named in the file."""
    wnids = dict(LabelClass.objects.values_list("wnid", "pk"))
    truth = {}
    images = ClassifyTask.objects.filter(campaign=campaign).values_list(
        "image_id", "image__label_id", "image__source"
    )
    for image, label, source in images:
        objects = [(label,)]
        objects += [(wnids[w],) for w in second_objects(source) if w in wnids]
        truth[image] = tuple(dict.fromkeys(objects))
    return truth


def _sim_tasks(campaign: Campaign, truth: Truth) -> list[SimTask]:
    """The tasks still short of answers from real workers (keyed by task id)."""
    options: dict[int, list[int]] = {}
    for task, label in (
        ClassifyOption.objects.filter(task__campaign=campaign)
        .order_by("task_id", "position")
        .values_list("task_id", "label_id")
    ):
        options.setdefault(task, []).append(label)
    # Answers of real workers that count (not those waiting for MTurk to confirm them).
    real = Count(
        "answers",
        filter=~Q(answers__worker__source=Worker.Source.SIMULATED)
        & Q(answers__verification=Verification.CONFIRMED),
    )
    rows = (
        ClassifyTask.objects.filter(campaign=campaign)
        .annotate(real=real)
        .order_by("pk")
        .values_list("pk", "image_id", "image__label_id", "real")
    )
    wanted = campaign.classify_assignments
    tasks = []
    for task, image, label, real_answers in rows:
        if real_answers >= wanted or task not in options:
            continue
        objects = truth.get(image) or ((label,),)
        tasks.append(SimTask(task, tuple(options[task]), objects, answers=wanted - real_answers))
    return tasks


def _workers(keys: list[str]) -> dict[str, int]:
    """Worker pk by simulator key, creating the missing simulated workers."""
    ids = [WORKER_PREFIX + key for key in keys]
    Worker.objects.bulk_create(
        [Worker(source=Worker.Source.SIMULATED, external_id=i) for i in ids],
        ignore_conflicts=True,
    )
    found = dict(
        Worker.objects.filter(source=Worker.Source.SIMULATED, external_id__in=ids).values_list(
            "external_id", "pk"
        )
    )
    return {key: found[WORKER_PREFIX + key] for key in keys}


def simulate_classify_answers(
    campaign: Campaign,
    spammers: int = 2,
    seed: int | None = None,
    truth: Truth | None = None,
    model: CrowdModel | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Simulated answers to the campaign's CLASSIFY tasks (module docstring)."""
    model = model or CrowdModel(spammers=spammers)
    seed = campaign.seed if seed is None else seed
    truth = demo_truth(campaign) if truth is None else truth
    with transaction.atomic():
        previous = Assignment.objects.filter(
            campaign=campaign,
            kind=Assignment.Kind.CLASSIFY,
            worker__source=Worker.Source.SIMULATED,
        )
        replaced = ClassifyAnswer.objects.filter(assignment__in=previous).count()
        previous.delete()
        tasks = _sim_tasks(campaign, truth)
        answers = simulate(tasks, campaign.classify_assignments, model, seed)
        workers = _workers(model.workers())
        _store(campaign, answers, workers, progress)
    analyze(CLASSIFY_ANSWER_TABLES)
    return SimulationSummary(
        tasks=len(tasks),
        answers=len(answers),
        spammer_answers=sum(a.spammer for a in answers),
        workers=len({a.worker for a in answers}),
        replaced=replaced,
    )


def _store(campaign: Campaign, answers, workers: dict[str, int], progress) -> None:
    now = timezone.now()
    total = len(answers)
    for start in range(0, total, BATCH):
        chunk = answers[start : start + BATCH]
        assignments = Assignment.objects.bulk_create(
            Assignment(
                campaign=campaign,
                kind=Assignment.Kind.CLASSIFY,
                classify_task_id=a.task_key,
                worker_id=workers[a.worker],
                status=Assignment.Status.SUBMITTED,
                submitted_at=now,
            )
            for a in chunk
        )
        rows = ClassifyAnswer.objects.bulk_create(
            ClassifyAnswer(
                assignment=assignment,
                task_id=a.task_key,
                worker_id=assignment.worker_id,
                main_label_id=a.main,
            )
            for assignment, a in zip(assignments, chunk, strict=True)
        )
        ClassifyAnswerLabel.objects.bulk_create(
            ClassifyAnswerLabel(answer=row, label_id=label)
            for row, a in zip(rows, chunk, strict=True)
            for label in a.selected
        )
        if progress:
            progress(start + len(chunk), total)
