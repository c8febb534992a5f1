"""Selectors for the analyses: each loads what one analysis needs with aggregate queries
(GROUP BY in the database, flat value tuples out) and returns plain data for
dashboard.figures. Labels leave here as class indices."""

from __future__ import annotations

import functools
import json
from collections import defaultdict

from django.db.models import Count, F, Max, TextField
from django.db.models.functions import Cast

from catalogue.models import Image, LabelClass, Superclass
from crowd.models import (
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ContainsAnswer,
    ContainsSelection,
    GridItem,
    QcStatus,
)
from dashboard.figures import GridVotes, ImageTruth, display_name
from pipeline.models import (
    Campaign,
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
)


def superclass_names() -> list[str]:
    """The superclasses in catalogue order, as shown (display_name)."""
    names = Superclass.objects.order_by("id").values_list("name", flat=True)
    return [display_name(n) for n in names]


def superclass_of() -> dict[int, str]:
    """Class index -> superclass name as shown, for the classes that have one."""
    rows = LabelClass.objects.filter(superclass__isnull=False).values_list(
        "index", "superclass__name"
    )
    return {index: display_name(name) for index, name in rows}


def potential_label_counts(campaign: Campaign) -> list[int]:
    """Number of potential labels of each image that has any."""
    rows = (
        PotentialLabel.objects.filter(campaign=campaign)
        .values("image")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    return list(rows)


def candidate_label_counts(campaign: Campaign) -> list[int]:
    rows = (
        CandidateLabel.objects.filter(campaign=campaign)
        .values("image")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    return list(rows)


def dataset_labels(campaign: Campaign) -> list[tuple[int, int]]:
    """(image, dataset label index) of every image of the campaign's dataset."""
    return list(
        Image.objects.filter(dataset_id=campaign.dataset_id).values_list("id", "label__index")
    )


def _object_members(campaign: Campaign) -> dict[int, dict[int, set[int]]]:
    """ImageLabels pk -> object index -> every label workers gave that object."""
    members: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    rows = ImageObjectLabel.objects.filter(object__image_labels__campaign=campaign).values_list(
        "object__image_labels_id", "object__index", "label__index"
    )
    for labels_id, index, label in rows:
        members[labels_id][index].add(label)
    return members


def image_truths(campaign: Campaign) -> list[ImageTruth]:
    """The final labels of every aggregated image, objects in index order, each with every
    label workers gave it; in image order."""
    objects: dict[int, list[int]] = defaultdict(list)
    for labels_id, label_index in (
        ImageObject.objects.filter(image_labels__campaign=campaign)
        .order_by("image_labels", "index")
        .values_list("image_labels_id", "label__index")
    ):
        objects[labels_id].append(label_index)
    members = _object_members(campaign)
    rows = (
        ImageLabels.objects.filter(campaign=campaign)
        .order_by("image_id")
        .values_list(
            "id",
            "image_id",
            "image__label__index",
            "main_label__index",
            "main_object",
            "dataset_object",
        )
    )
    return [
        ImageTruth(
            image,
            dataset,
            main,
            tuple(objects.get(pk, ())),
            tuple(frozenset(members[pk][i] | {lab}) for i, lab in enumerate(objects.get(pk, ()))),
            main_object,
            dataset_object,
        )
        for pk, image, dataset, main, main_object, dataset_object in rows
    ]


def classify_answer_sizes(campaign: Campaign) -> list[tuple[int, int]]:
    """(image, number of labels selected) of every kept CLASSIFY answer."""
    return list(
        ClassifyAnswer.objects.filter(task__campaign=campaign, qc_status=QcStatus.KEPT)
        .annotate(n=Count("labels"))
        .values_list("task__image_id", "n")
    )


def selection_frequencies(campaign: Campaign) -> dict[tuple[int, int], float]:
    """(image, class index) -> selection frequency, for pairs with surviving answers."""
    rows = SelectionFrequency.objects.filter(campaign=campaign, frequency__isnull=False)
    return {(i, lab): f for i, lab, f in rows.values_list("image_id", "label__index", "frequency")}


def model_label(name: str, random_weights: bool) -> str:
    """How a model is named in the analyses: predictions of random weights are marked."""
    return f"{name} (random weights)" if random_weights else name


def model_predictions(campaign: Campaign) -> dict[str, dict[int, list[int]]]:
    """model (named by `model_label`) -> image -> its top-k class indices, for every model with
    predictions on the campaign's images, in name order and one query. The labels are read as
    text and parsed as one JSON document: Django's per-row JSON conversion, or a json.loads per
    row, cost more than the query."""
    rows = list(
        ModelPrediction.objects.filter(image__dataset_id=campaign.dataset_id)
        .annotate(labels_text=Cast("labels", TextField()))
        .values_list("model_name", "random_weights", "image_id", "labels_text")
    )
    labels = json.loads("[" + ",".join(row[3] for row in rows) + "]")
    out: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for (name, rnd, image, _), top in zip(rows, labels, strict=True):
        out[model_label(name, rnd)][image] = top
    return {model: out[model] for model in sorted(out)}


def contains_votes(campaign: Campaign) -> dict[int, GridVotes]:
    """grid -> the (image, label) pairs it tests (controls left out, as in the selection
    frequencies) and, per kept answer in id order, the pairs that answer selected."""
    items = GridItem.objects.filter(grid__campaign=campaign, is_control=False)
    pair_of = {
        item: (image, label)
        for item, image, label in items.values_list("id", "image_id", "grid__query__index")
    }
    kept = ContainsAnswer.objects.filter(grid__campaign=campaign, qc_status=QcStatus.KEPT)
    chosen: dict[int, set] = defaultdict(set)
    for answer, item in ContainsSelection.objects.filter(
        answer__in=kept, item__is_control=False
    ).values_list("answer_id", "item_id"):
        chosen[answer].add(pair_of[item])
    answers: dict[int, list[frozenset]] = defaultdict(list)
    for answer, grid in kept.order_by("id").values_list("id", "grid_id"):
        answers[grid].append(frozenset(chosen.get(answer, ())))
    pairs: dict[int, list] = defaultdict(list)
    for grid, item in items.order_by("grid_id", "position").values_list("grid_id", "id"):
        pairs[grid].append(pair_of[item])
    return {g: GridVotes(tuple(pairs[g]), tuple(answers.get(g, ()))) for g in sorted(pairs)}


def dataset_label_sf(campaign: Campaign) -> dict[int, float | None]:
    """image -> selection frequency of its own dataset label."""
    return dict(
        SelectionFrequency.objects.filter(
            campaign=campaign, label_id=F("image__label_id")
        ).values_list("image_id", "frequency")
    )


def classify_answered_images(campaign: Campaign) -> list[int]:
    return list(
        ClassifyAnswer.objects.filter(task__campaign=campaign, qc_status=QcStatus.KEPT)
        .values_list("task__image_id", flat=True)
        .distinct()
    )


def classify_chose_dataset_label(campaign: Campaign) -> list[int]:
    """Images for which some kept CLASSIFY answer selected the dataset label."""
    return list(
        ClassifyAnswerLabel.objects.filter(
            answer__task__campaign=campaign,
            answer__qc_status=QcStatus.KEPT,
            label_id=F("answer__task__image__label_id"),
        )
        .values_list("answer__task__image_id", flat=True)
        .distinct()
    )


def images_by_category(campaign: Campaign, category: str, limit: int) -> list[int]:
    return list(
        ImageInclusion.objects.filter(campaign=campaign, category=category)
        .order_by("image_id")
        .values_list("image_id", flat=True)[:limit]
    )


def gallery_images(image_ids: list[int]) -> dict[int, Image]:
    """The images to show, with their dataset label, in one query."""
    qs = Image.objects.filter(id__in=image_ids).select_related("label")
    return {img.id: img for img in qs}


def top_labels(campaign: Campaign, image_ids: list[int], per_image: int = 3) -> dict:
    """image -> [(class name, selection frequency)] of its most selected labels."""
    rows = (
        SelectionFrequency.objects.filter(
            campaign=campaign, image_id__in=image_ids, frequency__isnull=False
        )
        .order_by("image_id", "-frequency", "label__index")
        .values_list("image_id", "label__name", "frequency")
    )
    out: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for image, name, freq in rows:
        if len(out[image]) < per_image:
            out[image].append((name, freq))
    return dict(out)


def main_labels(campaign: Campaign, image_ids: list[int]) -> dict[int, str]:
    return dict(
        ImageLabels.objects.filter(campaign=campaign, image_id__in=image_ids).values_list(
            "image_id", "main_label__name"
        )
    )


@functools.cache
def _class_names() -> dict[int, str]:
    return dict(LabelClass.objects.values_list("index", "name"))


def class_names() -> dict[int, str]:
    """Class index -> name. The catalogue is fixed while the server runs."""
    names = _class_names()
    if not names:
        _class_names.cache_clear()
    return names


def analysis_version(campaign: Campaign) -> str:
    """Changes whenever an analysis input may have changed: the latest StageRun (its id,
    status and progress) and the newest stored model prediction."""
    run = (
        StageRun.objects.filter(campaign=campaign)
        .order_by("-id")
        .values_list("id", "status", "done", "finished_at")
        .first()
    )
    last_prediction = ModelPrediction.objects.aggregate(m=Max("id"))["m"]
    return f"{run}|{last_prediction}"
