"""Builders for the stage shells' tests: campaigns with images and potential labels, and
hand-made grids and answers."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence

import pytest

from catalogue.models import Dataset, Image, LabelClass
from crowd.models import (
    Assignment,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Worker,
)
from pipeline.models import Campaign, PotentialLabel

_serial = itertools.count()

# Classes used by the tests (all in the ImageNet catalogue).
TABBY, TIGER_CAT, EGYPTIAN_CAT = "n02123045", "n02123159", "n02124075"
SOCCER_BALL, TENNIS_BALL, GOLF_BALL = "n04254680", "n04409515", "n03445777"
ORANGE, LEMON = "n07747607", "n07749582"


def make_images(dataset: Dataset, label: LabelClass, count: int) -> list[Image]:
    images = []
    for _ in range(count):
        n = next(_serial)
        images.append(
            Image(
                dataset=dataset,
                source=f"test/{n}.jpg",
                label=label,
                storage_key=f"k{n}",
                thumbnail_key=f"t{n}",
                sha256=f"{n:064x}",
                width=10,
                height=10,
                file_size=100,
            )
        )
    return Image.objects.bulk_create(images)


def add_potential(campaign: Campaign, image: Image, labels: Iterable[LabelClass]) -> None:
    rows = {image.label_id: True} | {label.pk: False for label in labels}
    PotentialLabel.objects.bulk_create(
        [
            PotentialLabel(campaign=campaign, image=image, label_id=lid, is_dataset_label=own)
            for lid, own in rows.items()
        ],
        ignore_conflicts=True,
    )


@pytest.fixture
def make_campaign(catalogue):
    """A campaign over `per_class` images of each class, each image with its dataset label
    and `extra` other potential labels drawn from `classes` (seeded)."""

    def make(
        classes: Sequence[str],
        per_class: int | Sequence[int] = 12,
        extra: int = 2,
        seed: int = 0,
        **params,
    ) -> Campaign:
        n = next(_serial)
        dataset = Dataset.objects.create(name=f"ds-{n}")
        campaign = Campaign.objects.create(name=f"c-{n}", dataset=dataset, **params)
        counts = [per_class] * len(classes) if isinstance(per_class, int) else per_class
        rng = random.Random(seed)
        labels = [catalogue[wnid] for wnid in classes]
        for label, count in zip(labels, counts, strict=True):
            for image in make_images(dataset, label, count):
                others = [c for c in labels if c != label]
                add_potential(campaign, image, rng.sample(others, min(extra, len(others))))
        return campaign

    return make


def hand_grid(
    campaign: Campaign, query: LabelClass, tested: Sequence[Image], controls: Sequence[Image]
) -> ContainsGrid:
    n = next(_serial)
    grid = ContainsGrid.objects.create(campaign=campaign, number=n, query=query, public_id=f"g{n}")
    GridItem.objects.bulk_create(
        [
            GridItem(grid=grid, position=pos, image=image, is_control=is_control)
            for pos, (image, is_control) in enumerate(
                [(i, False) for i in tested] + [(i, True) for i in controls]
            )
        ]
    )
    return grid


def worker(name: str) -> Worker:
    return Worker.objects.get_or_create(source=Worker.Source.LOCAL, external_id=name)[0]


def answer(
    grid: ContainsGrid, who: Worker, images: Iterable[Image] = (), controls_found: int = 0
) -> ContainsAnswer:
    """An answer on `grid` by `who` selecting `images` and its first `controls_found`
    controls."""
    assignment = Assignment.objects.create(
        campaign=grid.campaign, kind=Assignment.Kind.CONTAINS, grid=grid, worker=who
    )
    ans = ContainsAnswer.objects.create(assignment=assignment, grid=grid, worker=who)
    image_ids = {image.pk for image in images}
    items = list(grid.items.order_by("position"))
    picked = [item for item in items if item.image_id in image_ids]
    picked += [item for item in items if item.is_control][:controls_found]
    ContainsSelection.objects.bulk_create(
        [ContainsSelection(answer=ans, item=item) for item in picked]
    )
    return ans
