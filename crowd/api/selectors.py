"""Reads behind the crowd's API: workers with their figures, a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from api.access import User, sees_everything, visible_campaigns
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ContainsAnswer,
    ContainsSelection,
    GridItem,
    QcStatus,
    Worker,
)
from pipeline.models import Campaign


def _count(queryset: QuerySet, key: str) -> Subquery:
    """A correlated COUNT(*) grouped on `key` (no row multiplication between counts)."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def workers_with_stats(user: User, campaigns: QuerySet[Campaign] | None) -> QuerySet[Worker]:
    """Workers with their answer counts and control accuracy (controls selected / controls
    shown in their CONTAINS answers), over `campaigns` (None: all campaigns, for staff; the
    user's own campaigns, for anyone else)."""
    workers = Worker.objects.all()
    if campaigns is None and not sees_everything(user):
        campaigns = visible_campaigns(user)
    contains = ContainsAnswer.objects.filter(worker=OuterRef("pk"))
    classify = ClassifyAnswer.objects.filter(worker=OuterRef("pk"))
    shown = GridItem.objects.filter(is_control=True, grid__answers__worker=OuterRef("pk"))
    selected = ContainsSelection.objects.filter(
        answer__worker=OuterRef("pk"), item__is_control=True
    )
    if campaigns is not None:
        workers = workers.filter(
            Exists(Assignment.objects.filter(worker=OuterRef("pk"), campaign__in=campaigns))
        )
        contains = contains.filter(grid__campaign__in=campaigns)
        classify = classify.filter(task__campaign__in=campaigns)
        shown = shown.filter(grid__campaign__in=campaigns)
        selected = selected.filter(answer__grid__campaign__in=campaigns)
    dropped = [QcStatus.DROPPED_WORKER, QcStatus.DROPPED_ANSWER]
    return workers.annotate(
        contains_answers_count=_count(contains, "worker"),
        classify_answers_count=_count(classify, "worker"),
        classify_dropped_count=_count(classify.filter(qc_status__in=dropped), "worker"),
        controls_shown=_count(shown, "grid__answers__worker"),
        controls_selected=_count(selected, "answer__worker"),
    ).order_by("source", "external_id")
