"""Reads behind the pipeline's API: campaigns and images with everything they show
prefetched, so a page costs a fixed number of queries whatever its size."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from api.access import User, visible_campaigns, visible_images
from catalogue.models import Image
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


def campaigns_with_runs(user: User) -> QuerySet[Campaign]:
    """The campaigns the user can see, newest first, with their dataset, owner and runs."""
    return (
        visible_campaigns(user)
        .select_related("dataset", "owner")
        .prefetch_related("runs")
        .order_by("-created_at", "-id")
    )


def _final_labels(in_campaigns: Q) -> QuerySet[ImageLabels]:
    """Final labels in the campaigns, with their objects in order and every object's labels."""
    object_labels = ImageObjectLabel.objects.select_related("label").order_by("id")
    objects = ImageObject.objects.select_related("label").prefetch_related(
        Prefetch("labels", queryset=object_labels)
    )
    return (
        ImageLabels.objects.filter(in_campaigns)
        .select_related("main_label")
        .prefetch_related(Prefetch("image_objects", queryset=objects.order_by("index")))
        .order_by("campaign_id")
    )


def _pipeline_rows(in_campaigns: Q) -> list[Prefetch]:
    """One prefetch per kind of pipeline output about an image, limited to the campaigns."""
    return [
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
        Prefetch("final_labels", queryset=_final_labels(in_campaigns)),
    ]


def images_with_pipeline_data(user: User, campaigns: QuerySet[Campaign]) -> QuerySet[Image]:
    """Images of the visible datasets with their potential labels, predictions, selection
    frequencies, candidates, inclusion and final objects for `campaigns`: a fixed number of
    queries per page whatever its size."""
    return (
        visible_images(user)
        .select_related("dataset", "label")
        .prefetch_related(*_pipeline_rows(Q(campaign__in=campaigns)))
        .order_by("id")
    )
