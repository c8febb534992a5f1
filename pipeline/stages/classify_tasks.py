"""Stage 5 shell: the CLASSIFY tasks of a campaign, from its follow-up images.

Loads the images that stage 4 sends on (ImageInclusion rows in the follow-up category) with
their candidate labels, plans the tasks with `pipeline.rules.classify_tasks.plan_tasks` and stores
them in one transaction: a ClassifyTask per image under an opaque public id, and its
candidates as ClassifyOption rows at their shuffled positions. Tasks with answers or
assignments are never changed or deleted (see the core's docstring for the whole rule).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from catalogue.models.images import new_public_id
from core.errors import StageError
from crowd.models import Assignment, ClassifyAnswer, ClassifyOption, ClassifyTask
from pipeline.models import Campaign, CandidateLabel, ImageInclusion, StageRun
from pipeline.rules.classify_tasks import ExistingTask, TaskPlan, plan_tasks
from pipeline.rules.inclusion import FOLLOW_UP
from pipeline.stages.runs import report_progress, stage_run

Progress = Callable[[int, int], object]
BATCH = 2000


class ClassifyStageError(StageError, ValueError):
    """The campaign is not ready for a CLASSIFY step; nothing was stored."""


@dataclass(frozen=True)
class TasksSummary:
    created: int
    replaced: int  # unused tasks whose candidate set changed: new options
    unchanged: int
    kept_in_use: int  # candidate set changed, but workers already answered: kept
    deleted: int  # unused tasks of images that no longer go to CLASSIFY
    stale_in_use: int  # tasks of images no longer follow-up, kept for their answers
    tasks: int  # tasks of the campaign after the run
    options: int  # options written by this run

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        text = (
            f"{self.tasks} CLASSIFY tasks: {self.created} created, {self.replaced} with new "
            f"options, {self.unchanged} unchanged, {self.deleted} deleted"
        )
        if self.kept_in_use or self.stale_in_use:
            text += (
                f"; kept because answered: {self.kept_in_use} whose candidates changed, "
                f"{self.stale_in_use} whose image no longer goes to CLASSIFY"
            )
        return text


# --- selectors ------------------------------------------------------------------------


def follow_up_candidates(campaign: Campaign) -> dict[int, list[int]]:
    """Follow-up image id -> its candidate label ids in order of admission."""
    inclusions = ImageInclusion.objects.filter(campaign=campaign)
    if not inclusions.exists():
        raise ClassifyStageError(
            f"campaign {campaign.pk} has no inclusion results: run stage 4 (inclusion) first"
        )
    images = list(
        inclusions.filter(category=FOLLOW_UP)
        .order_by("image_id")
        .values_list("image_id", flat=True)
    )
    labels: dict[int, list[int]] = {image: [] for image in images}
    rows = (
        CandidateLabel.objects.filter(campaign=campaign, image_id__in=images)
        .order_by("image_id", "rank")
        .values_list("image_id", "label_id")
    )
    for image, label in rows.iterator(chunk_size=10_000):
        labels[image].append(label)
    missing = [image for image, found in labels.items() if not found]
    if missing:
        raise ClassifyStageError(
            f"{len(missing)} follow-up images have no candidate labels (e.g. image ids "
            f"{missing[:5]}): run stage 3 (candidates) first"
        )
    return labels


def existing_tasks(campaign: Campaign) -> dict[int, tuple[int, ExistingTask]]:
    """Image id -> (task id, its options and whether it is in use), rows locked."""
    answered = Exists(ClassifyAnswer.objects.filter(task=OuterRef("pk")))
    assigned = Exists(Assignment.objects.filter(classify_task=OuterRef("pk")))
    tasks = (
        ClassifyTask.objects.select_for_update()
        .filter(campaign=campaign)
        .annotate(answered=answered, assigned=assigned)
        .values_list("pk", "image_id", "answered", "assigned")
    )
    options: dict[int, list[int]] = defaultdict(list)
    for task, label in (
        ClassifyOption.objects.filter(task__campaign=campaign)
        .order_by("task_id", "position")
        .values_list("task_id", "label_id")
    ):
        options[task].append(label)
    return {
        image: (task, ExistingTask(tuple(options[task]), answered or assigned))
        for task, image, answered, assigned in tasks
    }


# --- services -------------------------------------------------------------------------


def _option_rows(task_id: int, labels: list[int]) -> list[ClassifyOption]:
    return [
        ClassifyOption(task_id=task_id, label_id=label, position=position)
        for position, label in enumerate(labels)
    ]


def _store(
    campaign: Campaign, run: StageRun, plan: TaskPlan, ids: dict[Hashable, int], progress
) -> int:
    """Apply the plan; returns the number of options written."""
    ClassifyTask.objects.filter(pk__in=[ids[image] for image in plan.delete]).delete()
    ClassifyOption.objects.filter(task_id__in=[ids[image] for image in plan.replace]).delete()
    ClassifyTask.objects.filter(pk__in=[ids[image] for image in plan.replace]).update(run=run)
    options = [
        row for image, labels in plan.replace.items() for row in _option_rows(ids[image], labels)
    ]
    images = list(plan.create)
    total = len(images)
    for start in range(0, total, BATCH):
        chunk = images[start : start + BATCH]
        tasks = ClassifyTask.objects.bulk_create(
            ClassifyTask(campaign=campaign, image_id=image, public_id=new_public_id(), run=run)
            for image in chunk
        )
        for task in tasks:
            options += _option_rows(task.pk, plan.create[task.image_id])
        progress(start + len(chunk), total)
    ClassifyOption.objects.bulk_create(options, batch_size=BATCH * 5)
    return len(options)


def create_classify_tasks(campaign: Campaign, progress: Progress | None = None) -> TasksSummary:
    """Create (or bring up to date) the campaign's CLASSIFY tasks; idempotent."""
    params = {**campaign.params.as_json(), "seed": campaign.seed}
    with stage_run(campaign, StageRun.Stage.CLASSIFY_TASKS, params=params) as run:
        candidates = follow_up_candidates(campaign)

        def tick(done: int, total: int) -> None:
            report_progress(run, done, total)
            if progress:
                progress(done, total)

        with transaction.atomic():
            stored = existing_tasks(campaign)
            plan = plan_tasks(candidates, {i: t for i, (_, t) in stored.items()}, campaign.seed)
            ids = {image: task for image, (task, _) in stored.items()}
            options = _store(campaign, run, plan, ids, tick)
            Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CLASSIFY)
        summary = TasksSummary(
            created=len(plan.create),
            replaced=len(plan.replace),
            unchanged=len(plan.unchanged),
            kept_in_use=len(plan.kept_in_use),
            deleted=len(plan.delete),
            stale_in_use=len(plan.stale_in_use),
            tasks=plan.tasks,
            options=options,
        )
        report_progress(run, len(candidates), len(candidates))
        run.message = str(summary)
    return summary
