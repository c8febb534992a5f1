"""The dashboard's probabilistic view (pipeline/stages/dawid_skene.py): each worker's estimated
accuracy beside the control-based quality control's verdict, and the (image, label) pairs where
the Dawid-Skene probability and the selection frequency disagree most, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Abs

from crowd.models import ContainsAnswer, QcStatus
from pipeline.models import Campaign, LabelProbability, SelectionFrequency, WorkerQuality

PAIRS_PER_PAGE = 25
WORKERS_SHOWN = 50


@dataclass(frozen=True)
class WorkerRow:
    worker_id: int
    name: str
    accuracy: float
    sensitivity: float
    specificity: float
    control_votes: int
    answers: int
    verdict: str  # the control rules' (or QC's) word on the worker


def _verdict(answers: int, dropped_worker: int, dropped_answers: int, pending: int) -> str:
    if dropped_worker:
        return "dropped"
    if pending == answers:
        return "not checked"
    if dropped_answers:
        return f"kept, {dropped_answers} answer{'s' if dropped_answers > 1 else ''} dropped"
    return "kept"


def worker_rows(campaign: Campaign, limit: int = WORKERS_SHOWN) -> tuple[int, list[WorkerRow]]:
    """Workers with an estimate, least accurate first: (how many in all, the first `limit`)."""
    qualities = WorkerQuality.objects.filter(campaign=campaign).select_related("worker")
    total = qualities.count()
    shown = list(qualities.order_by("accuracy", "worker_id")[:limit])
    counts = {
        row["worker"]: row
        for row in ContainsAnswer.objects.filter(
            grid__campaign=campaign, worker__in=[q.worker_id for q in shown]
        )
        .values("worker")
        .annotate(
            n=Count("id"),
            dw=Count("id", filter=Q(qc_status=QcStatus.DROPPED_WORKER)),
            da=Count("id", filter=Q(qc_status=QcStatus.DROPPED_ANSWER)),
            pending=Count("id", filter=Q(qc_status=QcStatus.PENDING)),
        )
    }
    rows = []
    for q in shown:
        c = counts.get(q.worker_id, {"n": 0, "dw": 0, "da": 0, "pending": 0})
        rows.append(
            WorkerRow(
                q.worker_id,
                f"{q.worker.source}:{q.worker.external_id}",
                q.accuracy,
                q.sensitivity,
                q.specificity,
                q.control_votes,
                c["n"],
                _verdict(c["n"], c["dw"], c["da"], c["pending"]),
            )
        )
    return total, rows


def disagreements(campaign: Campaign, page: object = 1) -> Page:
    """Pairs by |probability - selection frequency|, largest first (pairs without a frequency
    last), a page of PAIRS_PER_PAGE; a page number out of range gives the nearest page."""
    frequency = SelectionFrequency.objects.filter(
        campaign=campaign, image=OuterRef("image"), label=OuterRef("label")
    ).values("frequency")[:1]
    pairs = (
        LabelProbability.objects.filter(campaign=campaign)
        .select_related("image", "label")
        .annotate(frequency=Subquery(frequency))
        .annotate(gap=Abs(F("probability") - F("frequency")))
        .order_by(F("gap").desc(nulls_last=True), "image_id", "label_id")
    )
    return Paginator(pairs, PAIRS_PER_PAGE).get_page(page)


def probabilistic_section(campaign: Campaign, page: object = 1) -> dict:
    """The template's context (dashboard/_probabilistic.html); `ready` False before the stage
    has run."""
    if not LabelProbability.objects.filter(campaign=campaign).exists():
        return {"ready": False}
    total, workers = worker_rows(campaign)
    pairs = disagreements(campaign, page)
    return {
        "ready": True,
        "workers": workers,
        "workers_total": total,
        "pairs": pairs,
        "with_model": any(row.with_model is not None for row in pairs),
        "bound": campaign.qc_min_worker_accuracy,
    }
