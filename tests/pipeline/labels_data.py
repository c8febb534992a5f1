"""Builders of campaign data through the ORM, for the API and export tests."""

from __future__ import annotations

import itertools
import json

from bench.reference_data import classify_dev_path
from catalogue.models import Dataset, Image, LabelClass
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
)

CLASSIFY_DEV = classify_dev_path()
_serial = itertools.count()


def by_index() -> dict[int, LabelClass]:
    return {c.index: c for c in LabelClass.objects.all()}


def make_image(dataset: Dataset, label: LabelClass, name: str | None = None) -> Image:
    n = next(_serial)
    name = name or f"img_{n:05d}.JPEG"
    return Image.objects.create(
        dataset=dataset,
        source=f"/data/{dataset.name}/{name}",
        label=label,
        storage_key=f"k/{n}",
        thumbnail_key=f"t/{n}",
        sha256=f"{n:064d}",
        width=500,
        height=375,
        file_size=1000,
    )


def add_reference(
    campaign: Campaign, image: Image, reference: dict, classes: dict[int, LabelClass]
) -> ImageLabels:
    """Final labels stored from a published `reference` aggregate (classify_dev.jsonl)."""
    labels = ImageLabels.objects.create(
        campaign=campaign,
        image=image,
        main_label=classes[reference["main_label"]],
        num_objects=reference["num_objects"],
        main_object=reference["main_object"],
        dataset_object=reference["imagenet_object"],
        answers=9,
    )
    for index, members in enumerate(reference["objects"]):
        named = max(members.items(), key=lambda kv: kv[1][1])[0]
        obj = ImageObject.objects.create(
            image_labels=labels, index=index, label=classes[int(named)]
        )
        for key, (share, frequency) in members.items():
            ImageObjectLabel.objects.create(
                object=obj, label=classes[int(key)], share=share, selection_frequency=frequency
            )
    return labels


def add_pipeline_data(
    campaign: Campaign, image: Image, labels: list[LabelClass], random_weights: bool = False
) -> None:
    """A prediction, potential labels, selection frequencies and candidates over `labels`
    (the image's dataset label first)."""
    ModelPrediction.objects.create(
        image=image,
        model_name="resnet18.a1_in1k",
        weights="random" if random_weights else "file:resnet18.safetensors",
        random_weights=random_weights,
        labels=[c.index for c in labels],
        probabilities=[round(0.5 / (i + 1), 4) for i in range(len(labels))],
    )
    for rank, label in enumerate(labels):
        PotentialLabel.objects.create(
            campaign=campaign,
            image=image,
            label=label,
            is_dataset_label=label.pk == image.label_id,
            model_count=len(labels) - rank,
        )
        SelectionFrequency.objects.create(
            campaign=campaign,
            image=image,
            label=label,
            selected=9 - 2 * rank,
            answers=9,
            frequency=(9 - 2 * rank) / 9,
        )
        CandidateLabel.objects.create(
            campaign=campaign,
            image=image,
            label=label,
            rule=CandidateLabel.Rule.DATASET_LABEL if rank == 0 else CandidateLabel.Rule.FREQUENT,
            rank=rank,
        )


def reference_records(count: int) -> list[dict]:
    """The first `count` classify_dev records, with at least one multi-object image and one
    whose dataset label is in no object (imagenet_object null) when the file has them."""
    records = [json.loads(line) for line in CLASSIFY_DEV.open()]
    chosen = records[:count]
    for wanted in (
        lambda r: r["reference"]["num_objects"] >= 3,
        lambda r: r["reference"]["imagenet_object"] is None,
    ):
        extra = next((r for r in records if wanted(r)), None)
        if extra is not None and extra not in chosen:
            chosen.append(extra)
    return chosen


def build_campaign(
    name: str, records: list[dict], owner=None, random_weights: bool = False
) -> tuple[Campaign, list[Image]]:
    """A dataset and campaign holding one image per record, each with its pipeline data and
    final labels from the record's reference; plus one easy and one mislabeled image."""
    classes = by_index()
    dataset = Dataset.objects.create(name=f"{name}-data")
    campaign = Campaign.objects.create(name=name, dataset=dataset, owner=owner)
    images = []
    for record in records:
        dataset_label = classes[record["imagenet_label"]]
        image = make_image(dataset, dataset_label, record["image"])
        others = [int(k) for obj in record["reference"]["objects"] for k in obj]
        labels = [dataset_label] + [
            classes[i] for i in dict.fromkeys(others) if i != record["imagenet_label"]
        ]
        add_pipeline_data(campaign, image, labels, random_weights)
        ImageInclusion.objects.create(
            campaign=campaign, image=image, category=ImageInclusion.Category.FOLLOW_UP
        )
        add_reference(campaign, image, record["reference"], classes)
        images.append(image)
    for category, index in ((ImageInclusion.Category.EASY, 1), ("mislabeled", 2)):
        image = make_image(dataset, classes[index])
        add_pipeline_data(campaign, image, [classes[index]], random_weights)
        ImageInclusion.objects.create(campaign=campaign, image=image, category=category)
        images.append(image)
    return campaign, images
