"""Builders for the CLASSIFY stage tests: campaigns with inclusion results, candidates,
tasks and answers written straight to the database."""

from __future__ import annotations

from collections.abc import Sequence

from catalogue.models import Dataset, Image, LabelClass
from crowd.models import Assignment, ClassifyAnswer, ClassifyAnswerLabel, ClassifyTask, Worker
from pipeline.models import Campaign, CandidateLabel, ImageInclusion

FRUIT = ["n07747607", "n07749582", "n07745940"]  # orange, lemon, strawberry


def make_image(dataset: Dataset, label: LabelClass, name: str) -> Image:
    return Image.objects.create(
        dataset=dataset,
        source=f"/src/{name}.jpg",
        label=label,
        storage_key=f"k/{name}",
        thumbnail_key=f"t/{name}",
        sha256=f"{name:0>64}"[:64],
        width=10,
        height=10,
        file_size=1,
    )


def make_campaign(name: str = "c", **params) -> Campaign:
    dataset, _ = Dataset.objects.get_or_create(name=f"d-{name}")
    return Campaign.objects.create(name=name, dataset=dataset, **params)


def follow_up(
    campaign: Campaign,
    name: str,
    label: LabelClass,
    candidates: Sequence[LabelClass],
    category: str = ImageInclusion.Category.FOLLOW_UP,
) -> Image:
    """An image with its inclusion category and candidate labels (dataset label first)."""
    image = make_image(campaign.dataset, label, name)
    ImageInclusion.objects.create(campaign=campaign, image=image, category=category)
    for rank, candidate in enumerate(candidates):
        rule = CandidateLabel.Rule.DATASET_LABEL if candidate == label else CandidateLabel.Rule.FILL
        CandidateLabel.objects.create(
            campaign=campaign, image=image, label=candidate, rule=rule, rank=rank
        )
    return image


def worker(handle: str) -> Worker:
    return Worker.objects.get_or_create(source=Worker.Source.LOCAL, external_id=handle)[0]


def answer(
    task: ClassifyTask,
    who: Worker | str,
    selected: Sequence[LabelClass],
    main: LabelClass | None,
) -> ClassifyAnswer:
    """A submitted answer, as the answers service would store it."""
    who = worker(who) if isinstance(who, str) else who
    assignment = Assignment.objects.create(
        campaign=task.campaign,
        kind=Assignment.Kind.CLASSIFY,
        classify_task=task,
        worker=who,
        status=Assignment.Status.SUBMITTED,
    )
    row = ClassifyAnswer.objects.create(
        assignment=assignment, task=task, worker=who, main_label=main
    )
    ClassifyAnswerLabel.objects.bulk_create(
        ClassifyAnswerLabel(answer=row, label=label) for label in selected
    )
    return row


def task_for(campaign: Campaign, image: Image) -> ClassifyTask:
    """The image's task, created directly (options are not needed by QC or aggregation)."""
    return ClassifyTask.objects.get_or_create(
        campaign=campaign, image=image, defaults={"public_id": f"t{image.pk}"}
    )[0]
