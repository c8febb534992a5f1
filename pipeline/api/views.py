"""Campaigns (with their streamed label and review exports) and images with their pipeline
data. Both show only what the user can see (api.access)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import visible_campaigns
from api.filters import Filter, apply_filters, parameters
from api.pagination import ReadOnlyViewSet
from catalogue.models import Image, LabelClass
from pipeline.api.exports import (
    EXPORT_RENDERERS,
    EXPORT_SCHEMA,
    REVIEW_EXPORT_RENDERERS,
    review_export_schema,
    stream_export,
    stream_review_export,
)
from pipeline.api.selectors import campaigns_with_runs, images_with_pipeline_data
from pipeline.api.serializers import CampaignSerializer, ImageSerializer
from pipeline.models import Campaign, ImageInclusion, ImageLabels, ImageObject
from review.api.selectors import chosen_truth_sets


class CampaignViewSet(ReadOnlyViewSet):
    """Campaigns with their parameters and the progress of every stage run."""

    serializer_class = CampaignSerializer
    filters = [
        Filter("dataset", "Dataset id.", lambda qs, v, r: qs.filter(dataset_id=v)),
        Filter(
            "state",
            "Campaign state.",
            lambda qs, v, r: qs.filter(state=v),
            kind="str",
            enum=list(Campaign.State.values),
        ),
    ]

    def get_queryset(self) -> QuerySet:
        queryset = campaigns_with_runs(self.request.user)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters(filters))
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @EXPORT_SCHEMA
    @action(detail=True, renderer_classes=EXPORT_RENDERERS)
    def export(self, request: Request, pk=None, format=None) -> StreamingHttpResponse:
        """All the campaign's labels, streamed: JSON, JSONL, CSV or ImageNetMultiLabel."""
        return stream_export(self.get_object(), request.accepted_renderer.format)

    @review_export_schema(
        "One record per ground-truth set and image of the campaign's dataset: correct, wrong "
        "and unclear labels (class indices) and problem flags.",
        [
            OpenApiParameter(
                "truth_set",
                OpenApiTypes.STR,
                description="Ground-truth set names, comma-separated (default: every set).",
            )
        ],
    )
    @action(
        detail=True,
        url_path="export/ground-truth",
        url_name="ground-truth-export",
        renderer_classes=REVIEW_EXPORT_RENDERERS,
    )
    def ground_truth_export(self, request: Request, pk=None, format=None) -> StreamingHttpResponse:
        """The multi-label ground truth of the campaign's dataset, streamed as JSONL or CSV."""
        campaign = self.get_object()
        sets = chosen_truth_sets(request.user, request.query_params.get("truth_set", ""))
        fmt = request.accepted_renderer.format
        return stream_review_export(campaign, "ground-truth", fmt, sets)

    @review_export_schema(
        "Every review vote on the dataset's items, with the item's panel outcome."
    )
    @action(
        detail=True,
        url_path="export/reviews",
        url_name="reviews-export",
        renderer_classes=REVIEW_EXPORT_RENDERERS,
    )
    def reviews_export(self, request: Request, pk=None, format=None) -> StreamingHttpResponse:
        """The review panel's votes on the campaign's dataset, streamed as JSONL or CSV."""
        campaign = self.get_object()
        return stream_review_export(campaign, "reviews", request.accepted_renderer.format)


def _campaign_id(request: Request) -> int | None:
    """The `campaign` filter's id (checked in ImageViewSet.get_queryset)."""
    raw = request.query_params.get("campaign", "")
    return CAMPAIGN_FILTER.parse(raw) if raw else None


def _in_campaign(rows: QuerySet, request: Request, field: str = "campaign_id") -> QuerySet:
    """`rows` of the filtered campaign only, when the request names one."""
    if (campaign := _campaign_id(request)) is not None:
        rows = rows.filter(**{field: campaign})
    return rows


def _with_final(qs: QuerySet, request: Request, **lookups) -> QuerySet:
    """Images with final labels matching `lookups` (in the filtered campaign, if any)."""
    rows = _in_campaign(ImageLabels.objects.filter(image=OuterRef("pk"), **lookups), request)
    return qs.filter(Exists(rows))


def _with_category(qs: QuerySet, category: str, request: Request) -> QuerySet:
    """Images of the inclusion `category` (in the filtered campaign, if any)."""
    rows = ImageInclusion.objects.filter(image=OuterRef("pk"), category=category)
    return qs.filter(Exists(_in_campaign(rows, request)))


def _with_object(qs: QuerySet, label: LabelClass, request: Request) -> QuerySet:
    """Images with a final object of `label` (in the filtered campaign, if any)."""
    rows = ImageObject.objects.filter(image_labels__image=OuterRef("pk"), label=label)
    return qs.filter(Exists(_in_campaign(rows, request, "image_labels__campaign_id")))


CAMPAIGN_FILTER = Filter(
    "campaign",
    "Campaign id: its dataset's images, with nested data of this campaign only.",
    lambda qs, v, r: qs,  # applied in get_queryset
)
IMAGE_FILTERS = [
    Filter("dataset", "Dataset id.", lambda qs, v, r: qs.filter(dataset_id=v)),
    CAMPAIGN_FILTER,
    Filter(
        "label",
        "Dataset label: class index or WordNet id.",
        lambda qs, v, r: qs.filter(label=v),
        kind="label",
    ),
    Filter(
        "object_label",
        "Label of a final object (class index or WordNet id).",
        lambda qs, v, r: _with_object(qs, v, r),
        kind="label",
    ),
    Filter(
        "main_label",
        "Final main label (class index or WordNet id).",
        lambda qs, v, r: _with_final(qs, r, main_label=v),
        kind="label",
    ),
    Filter(
        "num_objects",
        "Number of distinct objects in the final labels.",
        lambda qs, v, r: _with_final(qs, r, num_objects=v),
    ),
    Filter(
        "multi_object",
        "Images with more than one object (true) or exactly one (false).",
        lambda qs, v, r: (
            _with_final(qs, r, num_objects__gt=1) if v else _with_final(qs, r, num_objects=1)
        ),
        kind="bool",
    ),
    Filter(
        "inclusion",
        "Inclusion category of stage 4.",
        lambda qs, v, r: _with_category(qs, v, r),
        kind="str",
        enum=list(ImageInclusion.Category.values),
    ),
]


def _chosen_campaign(campaigns: QuerySet[Campaign], raw: str) -> Campaign:
    """The campaign the `campaign` filter names, among `campaigns`; any other is a 400."""
    campaign_id = CAMPAIGN_FILTER.parse(raw)
    campaign = campaigns.filter(pk=campaign_id).first()
    if campaign is None:
        raise ValidationError({"campaign": f"no campaign {campaign_id} visible to you"})
    return campaign


class ImageViewSet(ReadOnlyViewSet):
    """Images with their potential labels (and whether the predictions behind them used random
    weights), selection frequencies, candidates, inclusion category and final objects. With
    `campaign`, the nested data is that campaign's only."""

    serializer_class = ImageSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filters = IMAGE_FILTERS

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Image.objects.none()
        user = self.request.user
        campaigns = visible_campaigns(user)
        if raw := self.request.query_params.get("campaign"):
            campaign = _chosen_campaign(campaigns, raw)
            campaigns = campaigns.filter(pk=campaign.pk)
            queryset = images_with_pipeline_data(user, campaigns)
            queryset = queryset.filter(dataset_id=campaign.dataset_id)
        else:
            queryset = images_with_pipeline_data(user, campaigns)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters(IMAGE_FILTERS))
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[CAMPAIGN_FILTER.parameter()])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)
