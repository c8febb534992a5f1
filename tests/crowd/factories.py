"""Small builders for HIT tests: classes, images, grids and CLASSIFY tasks, straight through
the ORM (no stage code)."""

from __future__ import annotations

import io
import itertools
import random
import secrets
from datetime import timedelta

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image as PILImage

from catalogue.imports.processing import make_thumbnail
from catalogue.models import Dataset, Image, LabelClass
from crowd.models import ClassifyOption, ClassifyTask, ContainsGrid, GridItem, Hit
from pipeline.models import Campaign

# Random start: the bench builds into a database that keeps earlier runs' rows.
_serial = itertools.count(secrets.randbelow(10**6) * 1000 + 1)


def make_label(name: str | None = None) -> LabelClass:
    n = next(_serial)
    name = name or f"thing{n}"
    return LabelClass.objects.create(
        index=10**9 + n,
        wnid=f"x{n:010d}",
        name=name,
        synonyms=[name, f"{name} alias"],
        gloss=f"a made-up {name} used in tests",
        wikipedia_url=f"https://en.wikipedia.org/wiki/{name}",
    )


def photo_jpeg(seed: int, size: tuple[int, int] = (500, 375)) -> bytes:
    """An ImageNet-sized picture with photo-like statistics (smooth shapes plus grain), so
    that its JPEG and thumbnail weigh about what a photograph's do; pure noise would not."""
    # Sized like an ImageNet photograph: about 100 KB, and about 19 KB for its 256 px
    # thumbnail (grain that survives the downscale, as in real photos).
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    smooth = PILImage.fromarray(small).resize(size, PILImage.BICUBIC)
    shape = (size[1], size[0])
    grain = rng.normal(0, 12, (*shape, 1)) + rng.normal(0, 4, (*shape, 3))
    pixels = (np.asarray(smooth, dtype=np.float32) + grain).clip(0, 255).astype(np.uint8)
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def make_image(dataset: Dataset, label: LabelClass, files: bool = False) -> Image:
    """An image row; with `files`, a real JPEG and its thumbnail in storage (made by the
    import's own thumbnail code)."""
    n = next(_serial)
    key, thumb_key, width, height, size = f"images/x/{n}.jpg", f"thumbs/x/{n}.jpg", 500, 375, 0
    if files:
        data = photo_jpeg(n)
        with PILImage.open(io.BytesIO(data)) as picture:
            thumbnail = make_thumbnail(picture, 256)
        key = default_storage.save(key, ContentFile(data))
        thumb_key = default_storage.save(thumb_key, ContentFile(thumbnail))
        size = len(data)
    return Image.objects.create(
        dataset=dataset,
        source=f"/data/secret_source_{label.wnid}_{n}.JPEG",
        label=label,
        storage_key=key,
        thumbnail_key=thumb_key,
        sha256=f"{n:064d}",
        width=width,
        height=height,
        file_size=size or 1,
    )


def make_campaign() -> Campaign:
    n = next(_serial)
    dataset = Dataset.objects.create(name=f"ds{n}")
    return Campaign.objects.create(name=f"campaign {n}", dataset=dataset)


def make_grid(
    campaign: Campaign,
    size: int = 48,
    controls: int = 5,
    files: bool = False,
    seed: int = 0,
    query: LabelClass | None = None,
    reuse: list[Image] | tuple[Image, ...] = (),
) -> ContainsGrid:
    """A grid of `size` images for a fresh query class (or `query`), `controls` of them
    labelled with it, at shuffled positions 0..size-1. `reuse`: images of another grid to show
    again, as its first controls (a control recurs in grids of its query)."""
    query, other = query or make_label(), make_label()
    grid = ContainsGrid.objects.create(
        campaign=campaign,
        number=ContainsGrid.objects.filter(campaign=campaign).count() + 1,
        query=query,
        public_id=secrets.token_urlsafe(12),
    )
    positions = list(range(size))
    random.Random(seed).shuffle(positions)
    for i, position in enumerate(positions):
        label = query if i < controls else other
        GridItem.objects.create(
            grid=grid,
            position=position,
            image=reuse[i] if i < len(reuse) else make_image(campaign.dataset, label, files),
            is_control=i < controls,
        )
    return grid


def publish(task: ContainsGrid | ClassifyTask, hit_id: str, max_assignments: int = 9) -> Hit:
    """A sandbox HIT publishing the grid or CLASSIFY task, stored as crowd.mturk.publish stores
    one: answers through MTurk's parameters must name it."""
    contains = isinstance(task, ContainsGrid)
    hit, _ = Hit.objects.get_or_create(
        hit_id=hit_id,
        defaults={
            "campaign": task.campaign,
            "kind": Hit.Kind.CONTAINS if contains else Hit.Kind.CLASSIFY,
            "grid": task if contains else None,
            "classify_task": None if contains else task,
            "sandbox": True,
            "hit_type_id": "TYPE1",
            "unique_request_token": f"{'contains' if contains else 'classify'}-{task.public_id}",
            "max_assignments": max_assignments,
            "reward": "0.20" if contains else "0.08",
            "status": "Assignable",
            "created": timezone.now(),
            "expiration": timezone.now() + timedelta(days=7),
        },
    )
    return hit


def make_classify_task(campaign: Campaign, options: int = 5, files: bool = False) -> ClassifyTask:
    """A task over one image whose dataset label is among `options` candidates, shown in a
    shuffled order (the dataset label is not first)."""
    labels = [make_label() for _ in range(options)]
    image = make_image(campaign.dataset, labels[0], files)
    task = ClassifyTask.objects.create(
        campaign=campaign, image=image, public_id=secrets.token_urlsafe(12)
    )
    order = list(range(options))
    order = order[1:] + order[:1]  # the dataset label shown last
    for position, k in enumerate(order):
        ClassifyOption.objects.create(task=task, label=labels[k], position=position)
    return task
