"""Reads behind the API: what a user may see, and the querysets with everything prefetched."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from catalogue.models import Dataset, Image
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ContainsAnswer,
    ContainsSelection,
    GridItem,
    QcStatus,
    Worker,
)
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

User = AbstractBaseUser | AnonymousUser


def sees_everything(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser)


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    """Staff see every campaign; other users the campaigns they own."""
    campaigns = Campaign.objects.all()
    return campaigns if sees_everything(user) else campaigns.filter(owner_id=user.pk)


def visible_datasets(user: User) -> QuerySet[Dataset]:
    if sees_everything(user):
        return Dataset.objects.all()
    owned = Campaign.objects.filter(dataset=OuterRef("pk"), owner_id=user.pk)
    return Dataset.objects.filter(Exists(owned))


def datasets_with_counts(user: User) -> QuerySet[Dataset]:
    return visible_datasets(user).annotate(image_count=Count("images")).order_by("name")


def campaigns_with_runs(user: User) -> QuerySet[Campaign]:
    return (
        visible_campaigns(user)
        .select_related("dataset", "owner")
        .prefetch_related("runs")
        .order_by("-created_at", "-id")
    )


def images_with_pipeline_data(user: User, campaigns: QuerySet[Campaign]) -> QuerySet[Image]:
    """Images of the visible datasets with their potential labels, predictions, selection
    frequencies, candidates, inclusion and final objects for `campaigns`: a fixed number of
    queries per page whatever its size."""
    in_campaigns = Q(campaign__in=campaigns)
    object_labels = ImageObjectLabel.objects.select_related("label").order_by("id")
    objects = ImageObject.objects.select_related("label").prefetch_related(
        Prefetch("labels", queryset=object_labels)
    )
    final = (
        ImageLabels.objects.filter(in_campaigns)
        .select_related("main_label")
        .prefetch_related(Prefetch("image_objects", queryset=objects.order_by("index")))
        .order_by("campaign_id")
    )
    return (
        Image.objects.filter(dataset__in=visible_datasets(user))
        .select_related("dataset", "label")
        .prefetch_related(
            Prefetch(
                "potential_labels",
                queryset=PotentialLabel.objects.filter(in_campaigns)
                .select_related("label")
                .order_by("campaign_id", "-model_count", "label__index"),
            ),
            Prefetch("predictions", queryset=ModelPrediction.objects.order_by("model_name", "id")),
            Prefetch(
                "selection_frequencies",
                queryset=SelectionFrequency.objects.filter(in_campaigns)
                .select_related("label")
                .order_by("campaign_id", "label__index"),
            ),
            Prefetch(
                "candidates",
                queryset=CandidateLabel.objects.filter(in_campaigns)
                .select_related("label")
                .order_by("campaign_id", "rank"),
            ),
            Prefetch(
                "inclusions",
                queryset=ImageInclusion.objects.filter(in_campaigns).order_by("campaign_id"),
            ),
            Prefetch("final_labels", queryset=final),
        )
        .order_by("id")
    )


def _count(queryset: QuerySet, key: str) -> Subquery:
    """A correlated COUNT(*) grouped on `key` (no row multiplication between counts)."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def workers_with_stats(user: User, campaigns: QuerySet[Campaign] | None) -> QuerySet[Worker]:
    """Workers with their answer counts and control accuracy (controls selected / controls
    shown in their CONTAINS answers), over `campaigns` (None: all campaigns)."""
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
