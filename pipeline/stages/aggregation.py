"""Stage 6 shell: the final labels of every image of a campaign.

Images that went through CLASSIFY
    The answers kept by quality control, in submission order, each as (selected labels, main
    label), go through `pipeline.rules.aggregation.aggregate_answers`: the very function that
    `manage.py aggregate_classify` replays the published data with. Labels are handed to it
    as class indices (LabelClass.index, the ImageNet class number), as in the published
    data, so exporting a campaign's kept answers to JSONL and replaying them gives exactly
    the stored result (ties included). An image whose answers were all dropped by quality
    control gets no labels; the summary counts it.

Images that skipped CLASSIFY (PIPELINE.md stage 4)
    - easy (the dataset label is clearly the most likely): one object, named by the dataset
      label, which is also the main label; share 1.0, and as selection frequency the
      label's CONTAINS selection frequency (the only human frequency measured for it; 1.0
      if none was stored). `answers` is 0: no CLASSIFY answer was asked for.
    - mislabeled (nobody selected the dataset label) and ambiguous (too few answers to
      decide): no final labels. They are listed for the researcher by their ImageInclusion
      category; the summary counts them.

Stored rows: ImageLabels (main label, number of objects, main object, dataset object, kept
answers), ImageObject (each object named by its most selected label) and ImageObjectLabel
(each label's share within the object and its selection frequency). A run replaces all of
the previous run's rows for the campaign in one transaction, so readers see either the old
labels or the new, never a mix.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction

from catalogue.models import LabelClass
from crowd.models import ClassifyAnswer, ClassifyTask, QcStatus, Verification
from pipeline.models import (
    Campaign,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    SelectionFrequency,
    StageRun,
)
from pipeline.rules.aggregation import aggregate_answers, object_labels
from pipeline.rules.inclusion import AMBIGUOUS, EASY, MISLABELED
from pipeline.stages.classify_qc import answer_labels
from pipeline.stages.classify_tasks import ClassifyStageError
from pipeline.stages.runs import report_progress, stage_run

Progress = Callable[[int, int], object]
BATCH = 2000


@dataclass(frozen=True)
class AggregationSummary:
    classified: int  # images labelled from their CLASSIFY answers
    easy: int  # images labelled with their dataset label (skipped CLASSIFY)
    no_answers: int  # CLASSIFY images with no answer left after quality control
    mislabeled: int  # listed, not labelled
    ambiguous: int  # listed, not labelled
    objects: dict[int, int] = field(default_factory=dict)  # objects per image -> images
    main_differs: int = 0  # main label is not the dataset label
    dataset_label_dropped: int = 0  # the dataset label is in no object

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        spread = ", ".join(f"{k}: {n}" for k, n in sorted(self.objects.items())) or "-"
        return (
            f"{self.classified + self.easy} images labelled ({self.classified} from CLASSIFY, "
            f"{self.easy} easy); images by number of objects {spread}; main label differs "
            f"from the dataset label on {self.main_differs}; dataset label in no object on "
            f"{self.dataset_label_dropped}; not labelled: {self.no_answers} without answers "
            f"after quality control, {self.mislabeled} possibly mislabeled, "
            f"{self.ambiguous} ambiguous"
        )


@dataclass(frozen=True)
class Labelled:
    """One image's final labels, ready to store (label ids are LabelClass pks)."""

    image_id: int
    main_label: int
    main_object: int
    dataset_object: int | None
    answers: int
    objects: list[tuple[int, list[tuple[int, float, float]]]]  # (label, [(label, share, sf)])


# --- selectors ------------------------------------------------------------------------


def kept_answers(campaign: Campaign) -> dict[int, list[tuple[list[int], int]]]:
    """Image id -> its kept answers as (selected label ids, main label id), submission order.

    Refuses to work on answers quality control has not seen: aggregating them would count
    answers the rules would have dropped. Only confirmed answers count (crowd.models.
    Verification): those waiting for MTurk to confirm them are left out.
    """
    answers = ClassifyAnswer.objects.filter(
        task__campaign=campaign, verification=Verification.CONFIRMED
    )
    pending = answers.filter(qc_status=QcStatus.PENDING).count()
    if pending:
        raise ClassifyStageError(
            f"{pending} CLASSIFY answers of campaign {campaign.pk} have not been through "
            "quality control: run `manage.py classify --campaign "
            f"{campaign.pk} qc` first"
        )
    kept = answers.filter(qc_status=QcStatus.KEPT)
    labels = answer_labels(kept)
    by_image: dict[int, list[tuple[list[int], int]]] = defaultdict(list)
    rows = kept.order_by("submitted_at", "pk").values_list("pk", "task__image_id", "main_label_id")
    for pk, image, main in rows.iterator(chunk_size=20_000):
        by_image[image].append((labels[pk], main))
    return by_image


def inclusion_images(campaign: Campaign) -> dict[str, list[tuple[int, int]]]:
    """Category -> [(image id, dataset label id)] for the images that skipped CLASSIFY."""
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        ImageInclusion.objects.filter(campaign=campaign, category__in=[EASY, MISLABELED, AMBIGUOUS])
        .order_by("image_id")
        .values_list("category", "image_id", "image__label_id")
    )
    for category, image, label in rows:
        found[category].append((image, label))
    return found


def dataset_label_frequencies(campaign: Campaign, images: list[int]) -> dict[int, float]:
    """Image id -> CONTAINS selection frequency of its dataset label (when stored)."""
    found = {}
    for start in range(0, len(images), 10_000):
        rows = SelectionFrequency.objects.filter(
            campaign=campaign, image_id__in=images[start : start + 10_000]
        ).values_list("image_id", "label_id", "image__label_id", "frequency")
        found.update({i: f for i, label, own, f in rows if label == own and f is not None})
    return found


def stored_aggregates(campaign: Campaign) -> dict[int, dict[str, Any]]:
    """Image id -> its stored final labels in the shape of the published `reference` (and
    of `aggregate_answers`' result): labels as class indices, keyed as strings."""
    heads = ImageLabels.objects.filter(campaign=campaign).values_list(
        "pk", "image_id", "num_objects", "main_label__index", "main_object", "dataset_object"
    )
    members: dict[int, list[dict[str, list[float]]]] = defaultdict(list)
    rows = (
        ImageObjectLabel.objects.filter(object__image_labels__campaign=campaign)
        .order_by("object__image_labels_id", "object__index", "pk")
        .values_list(
            "object__image_labels_id",
            "object__index",
            "label__index",
            "share",
            "selection_frequency",
        )
    )
    for head, index, label, share, sf in rows.iterator(chunk_size=20_000):
        objects = members[head]
        if len(objects) == index:
            objects.append({})
        objects[index][str(label)] = [share, sf]
    return {
        image: {
            "num_objects": k,
            "main_label": main,
            "objects": members[pk],
            "main_object": main_object,
            "imagenet_object": dataset_object,
        }
        for pk, image, k, main, main_object, dataset_object in heads
    }


# --- from aggregates to rows ----------------------------------------------------------


def labelled_from_aggregate(
    image_id: int, aggregate: dict[str, Any], answers: int, pk_of: dict[int, int]
) -> Labelled:
    """Turn the core's aggregate (class indices) into rows to store (LabelClass pks)."""
    if aggregate["main_object"] is None:  # cannot happen on answers that passed QC
        raise ClassifyStageError(f"image {image_id}: no answer's main label is in an object")
    names = object_labels(aggregate["objects"])
    objects = [
        (
            pk_of[name],
            [(pk_of[int(label)], share, sf) for label, (share, sf) in obj.items()],
        )
        for name, obj in zip(names, aggregate["objects"], strict=True)
    ]
    return Labelled(
        image_id=image_id,
        main_label=pk_of[aggregate["main_label"]],
        main_object=aggregate["main_object"],
        dataset_object=aggregate["imagenet_object"],
        answers=answers,
        objects=objects,
    )


def easy_labelled(image_id: int, label: int, frequency: float | None) -> Labelled:
    """An easy image: one object, the dataset label (module docstring)."""
    sf = 1.0 if frequency is None else frequency
    return Labelled(image_id, label, 0, 0, 0, [(label, [(label, 1.0, sf)])])


# --- services -------------------------------------------------------------------------


def store_labels(campaign: Campaign, run: StageRun, labelled: list[Labelled]) -> None:
    """Replace the campaign's final labels with `labelled` (call inside a transaction)."""
    ImageLabels.objects.filter(campaign=campaign).delete()
    for start in range(0, len(labelled), BATCH):
        chunk = labelled[start : start + BATCH]
        heads = ImageLabels.objects.bulk_create(
            ImageLabels(
                campaign=campaign,
                image_id=item.image_id,
                main_label_id=item.main_label,
                num_objects=len(item.objects),
                main_object=item.main_object,
                dataset_object=item.dataset_object,
                answers=item.answers,
                run=run,
            )
            for item in chunk
        )
        objects = ImageObject.objects.bulk_create(
            ImageObject(image_labels=head, index=index, label_id=name)
            for head, item in zip(heads, chunk, strict=True)
            for index, (name, _) in enumerate(item.objects)
        )
        members = [labels for item in chunk for _, labels in item.objects]
        ImageObjectLabel.objects.bulk_create(
            ImageObjectLabel(object=obj, label_id=label, share=share, selection_frequency=sf)
            for obj, labels in zip(objects, members, strict=True)
            for label, share, sf in labels
        )


def aggregate_campaign(campaign: Campaign, progress: Progress | None = None) -> AggregationSummary:
    """Final labels of every image of the campaign; replaces the previous run's."""
    with stage_run(campaign, StageRun.Stage.AGGREGATION) as run:
        answers = kept_answers(campaign)
        skipped = inclusion_images(campaign)
        task_images = dict(
            ClassifyTask.objects.filter(campaign=campaign).values_list(
                "image_id", "image__label_id"
            )
        )
        classes = list(LabelClass.objects.values_list("pk", "index"))
        pk_of = {index: pk for pk, index in classes}
        index_of = {pk: index for pk, index in classes}

        def tick(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                report_progress(run, done, total)
            if progress:
                progress(done, total)

        labelled: list[Labelled] = []
        total = len(task_images)
        no_answers = 0
        for done, (image, dataset_label) in enumerate(sorted(task_images.items()), start=1):
            pairs = [
                ([index_of[label] for label in selected], index_of[main])
                for selected, main in answers.get(image, [])
            ]
            if pairs:
                aggregate = aggregate_answers(pairs, index_of[dataset_label])
                labelled.append(labelled_from_aggregate(image, aggregate, len(pairs), pk_of))
            else:
                no_answers += 1
            tick(done, total)
        classified = len(labelled)
        easy = [(i, label) for i, label in skipped[EASY] if i not in task_images]
        frequencies = dataset_label_frequencies(campaign, [i for i, _ in easy])
        labelled += [easy_labelled(i, label, frequencies.get(i)) for i, label in easy]
        with transaction.atomic():
            store_labels(campaign, run, labelled)
            Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DONE)
        summary = _summary(labelled, classified, no_answers, skipped, task_images)
        run.message = str(summary)
    return summary


def _summary(
    labelled: list[Labelled],
    classified: int,
    no_answers: int,
    skipped: dict[str, list[tuple[int, int]]],
    dataset_labels: dict[int, int],
) -> AggregationSummary:
    own = {**{i: label for i, label in skipped[EASY]}, **dataset_labels}
    return AggregationSummary(
        classified=classified,
        easy=len(labelled) - classified,
        no_answers=no_answers,
        mislabeled=len(skipped[MISLABELED]),
        ambiguous=len(skipped[AMBIGUOUS]),
        objects=dict(sorted(Counter(len(item.objects) for item in labelled).items())),
        main_differs=sum(item.main_label != own[item.image_id] for item in labelled),
        dataset_label_dropped=sum(item.dataset_object is None for item in labelled),
    )
