"""Reads for the dashboard's tables: stage progress with ETAs, crowd progress, the worker
table and the lists a researcher acts on. Aggregates in the database; small results out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from catalogue.image_urls import thumbnail_url
from crowd.models import (
    ClassifyAnswer,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    Verification,
    Worker,
)
from dashboard import figure_data as data
from dashboard import figures as analysis
from dashboard.analyses import ConfusingPair
from pipeline.models import Campaign, ImageInclusion, ImageLabels, ImageObject, StageRun

DROPPED = [QcStatus.DROPPED_WORKER, QcStatus.DROPPED_ANSWER]


def eta(done: int, total: int, elapsed: dt.timedelta) -> dt.timedelta | None:
    """Time left at the rate so far; None when there is no rate yet or nothing left."""
    seconds = elapsed.total_seconds()
    if done <= 0 or seconds <= 0 or total <= done:
        return None
    return dt.timedelta(seconds=round((total - done) * seconds / done))


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    run: StageRun | None
    eta: dt.timedelta | None

    @property
    def percent(self) -> float:
        return 100 * self.run.progress if self.run else 0.0


def stage_rows(campaign: Campaign) -> list[StageRow]:
    """Every stage in pipeline order with its latest run (None: not run yet)."""
    latest: dict[str, StageRun] = {}
    for run in StageRun.objects.filter(campaign=campaign).order_by("-id")[:200]:
        latest.setdefault(run.stage, run)
    now = timezone.now()
    rows = []
    for stage, label in StageRun.Stage.choices:
        run = latest.get(stage)
        left = None
        if run is not None and run.status == StageRun.Status.RUNNING:
            left = eta(run.done, run.total, now - run.started_at)
        rows.append(StageRow(stage, label, run, left))
    return rows


@dataclass(frozen=True)
class CrowdProgress:
    task: str
    tasks: int
    planned: int
    answers: int
    kept: int
    dropped: int
    first: dt.datetime | None
    last: dt.datetime | None
    # MTurk answers count only once the sync confirms them (crowd.models.Verification).
    pending: int = 0
    unconfirmed: int = 0

    @property
    def percent(self) -> float:
        return 100 * min(self.answers, self.planned) / self.planned if self.planned else 0.0

    @property
    def eta(self) -> dt.timedelta | None:
        """Remaining answers at the rate answers came in so far."""
        if self.first is None or self.last is None:
            return None
        return eta(self.answers, self.planned, self.last - self.first)


def crowd_progress(campaign: Campaign) -> list[CrowdProgress]:
    def summarise(name, answers, tasks, per_task):
        agg = answers.aggregate(
            n=Count("id"),
            kept=Count("id", filter=Q(qc_status=QcStatus.KEPT)),
            dropped=Count("id", filter=Q(qc_status__in=DROPPED)),
            first=Min("submitted_at"),
            last=Max("submitted_at"),
            pending=Count("id", filter=Q(verification=Verification.PENDING)),
            unconfirmed=Count("id", filter=Q(verification=Verification.UNCONFIRMED)),
        )
        return CrowdProgress(
            name,
            tasks,
            tasks * per_task,
            agg["n"],
            agg["kept"],
            agg["dropped"],
            agg["first"],
            agg["last"],
            agg["pending"],
            agg["unconfirmed"],
        )

    grids = ContainsGrid.objects.filter(campaign=campaign).count()
    tasks = ClassifyTask.objects.filter(campaign=campaign).count()
    return [
        summarise(
            "CONTAINS",
            ContainsAnswer.objects.filter(grid__campaign=campaign),
            grids,
            campaign.contains_assignments,
        ),
        summarise(
            "CLASSIFY",
            ClassifyAnswer.objects.filter(task__campaign=campaign),
            tasks,
            campaign.classify_assignments,
        ),
    ]


@dataclass(frozen=True)
class WorkerRow:
    worker_id: int
    name: str
    blocked: bool
    contains: int
    classify: int
    controls_shown: int
    controls_selected: int
    flagged: int

    @property
    def answers(self) -> int:
        return self.contains + self.classify

    @property
    def control_accuracy(self) -> float | None:
        return self.controls_selected / self.controls_shown if self.controls_shown else None

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.answers if self.answers else None


def worker_table(campaign: Campaign, limit: int = 200) -> list[WorkerRow]:
    """Workers of the campaign, most answers first: answers, share of controls they selected,
    share of their answers flagged by quality control, and whether they are blocked."""
    contains = {
        w: (n, f)
        for w, n, f in ContainsAnswer.objects.filter(grid__campaign=campaign)
        .values("worker")
        .annotate(n=Count("id"), f=Count("id", filter=Q(qc_status__in=DROPPED)))
        .values_list("worker", "n", "f")
    }
    classify = {
        w: (n, f)
        for w, n, f in ClassifyAnswer.objects.filter(task__campaign=campaign)
        .values("worker")
        .annotate(n=Count("id"), f=Count("id", filter=Q(qc_status__in=DROPPED)))
        .values_list("worker", "n", "f")
    }
    shown = dict(
        GridItem.objects.filter(grid__campaign=campaign, is_control=True)
        .values("grid__answers__worker")
        .annotate(n=Count("id"))
        .values_list("grid__answers__worker", "n")
    )
    selected = dict(
        ContainsSelection.objects.filter(answer__grid__campaign=campaign, item__is_control=True)
        .values("answer__worker")
        .annotate(n=Count("id"))
        .values_list("answer__worker", "n")
    )
    ids = set(contains) | set(classify)
    totals = {w: contains.get(w, (0, 0))[0] + classify.get(w, (0, 0))[0] for w in ids}
    top = sorted(ids, key=lambda w: (-totals[w], w))[:limit]
    workers = Worker.objects.in_bulk(top)
    return [
        WorkerRow(
            worker_id=w,
            name=f"{workers[w].source}:{workers[w].external_id}",
            blocked=workers[w].blocked,
            contains=contains.get(w, (0, 0))[0],
            classify=classify.get(w, (0, 0))[0],
            controls_shown=shown.get(w, 0),
            controls_selected=selected.get(w, 0),
            flagged=contains.get(w, (0, 0))[1] + classify.get(w, (0, 0))[1],
        )
        for w in top
    ]


@dataclass(frozen=True)
class GalleryItem:
    image_id: int
    public_id: str
    thumbnail: str
    dataset_label: str
    note: str  # why it is listed, and the label workers chose instead


def mislabeled_gallery(campaign: Campaign, limit: int = 48) -> tuple[int, list[GalleryItem]]:
    """(how many, the first `limit`) of the possibly mislabeled images, each with the label
    workers chose instead: the main label if aggregated, else the most selected label."""
    listed = analysis.possibly_mislabeled(
        data.dataset_label_sf(campaign),
        data.classify_answered_images(campaign),
        data.classify_chose_dataset_label(campaign),
    )
    shown = listed[:limit]
    ids = [m.image for m in shown]
    images = data.gallery_images(ids)
    mains = data.main_labels(campaign, ids)
    tops = data.top_labels(campaign, ids, per_image=1)
    reasons = {"sf0": "nobody saw its label", "classify": "nobody chose its label"}
    items = []
    for m in shown:
        instead = mains.get(m.image) or (tops[m.image][0][0] if tops.get(m.image) else "?")
        items.append(_item(images[m.image], f"{reasons[m.reason]}; workers chose: {instead}"))
    return len(listed), items


def ambiguous_gallery(campaign: Campaign, limit: int = 48) -> tuple[int, list[GalleryItem]]:
    """Images with too few answers to decide, with their most selected labels."""
    total = ImageInclusion.objects.filter(
        campaign=campaign, category=ImageInclusion.Category.AMBIGUOUS
    ).count()
    ids = data.images_by_category(campaign, ImageInclusion.Category.AMBIGUOUS, limit)
    images = data.gallery_images(ids)
    tops = data.top_labels(campaign, ids)
    items = [
        _item(
            images[i],
            ", ".join(f"{name} {sf:.2f}" for name, sf in tops.get(i, [])) or "no answers",
        )
        for i in ids
    ]
    return total, items


def _labels_gallery(campaign: Campaign, rows, note, limit: int) -> tuple[int, list[GalleryItem]]:
    """(how many, the first `limit`) of the ImageLabels `rows`, each with `note(row, objects)`
    where objects are its objects' label names in index order."""
    total = rows.count()
    shown = list(
        rows.order_by("image_id").values(
            "id", "image_id", "main_label__name", "main_object", "dataset_object"
        )[:limit]
    )
    objects: dict[int, list[str]] = {}
    for labels_id, name in (
        ImageObject.objects.filter(image_labels_id__in=[r["id"] for r in shown])
        .order_by("image_labels_id", "index")
        .values_list("image_labels_id", "label__name")
    ):
        objects.setdefault(labels_id, []).append(name)
    images = data.gallery_images([r["image_id"] for r in shown])
    return total, [_item(images[r["image_id"]], note(r, objects.get(r["id"], []))) for r in shown]


def multi_object_gallery(campaign: Campaign, limit: int = 48) -> tuple[int, list[GalleryItem]]:
    """Fig 17: images with more than one object, with their objects' labels."""
    rows = ImageLabels.objects.filter(campaign=campaign, num_objects__gt=1)
    return _labels_gallery(campaign, rows, lambda r, objs: "objects: " + " · ".join(objs), limit)


def _main_note(row: dict, objects: list[str]) -> str:
    if row["dataset_object"] is None:
        where = "dataset label in no object"
    elif row["main_object"] != row["dataset_object"]:
        where = "another object"
    else:
        where = "same object"
    return f"main label: {row['main_label__name']} ({where})"


def main_label_gallery(campaign: Campaign, limit: int = 48) -> tuple[int, list[GalleryItem]]:
    """Fig 18: images whose main label is not the dataset label, with the main label and
    whether it names another object than the dataset label's."""
    rows = ImageLabels.objects.filter(campaign=campaign).exclude(main_label_id=F("image__label_id"))
    return _labels_gallery(campaign, rows, _main_note, limit)


@dataclass(frozen=True)
class PairRow:
    a: str
    b: str
    images: int
    mean_accuracy: float
    example: GalleryItem | None


def confusing_pairs(pairs: list[ConfusingPair], limit: int = 20) -> list[PairRow]:
    """The class pairs validated together on most images (dashboard.analyses), each with an
    example image."""
    shown = pairs[:limit]
    images = data.gallery_images([p.example for p in shown])
    rows = []
    for p in shown:
        img = images.get(p.example)
        item = _item(img, f"{p.a} / {p.b}") if img else None
        rows.append(PairRow(p.a, p.b, p.images, p.mean_accuracy, item))
    return rows


def _item(image, note: str) -> GalleryItem:
    return GalleryItem(image.id, image.public_id, thumbnail_url(image), image.label.name, note)
