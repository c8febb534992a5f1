"""Read-only viewsets; the campaign and dataset `export` actions stream labels."""

from __future__ import annotations

import json

from django.db.models import Exists, OuterRef, QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import pagination, renderers, viewsets
from rest_framework.decorators import action, api_view, renderer_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from api import selectors
from api.filters import Filter, apply_filters, parameters
from api.serializers import (
    CampaignSerializer,
    DatasetSerializer,
    ImageSerializer,
    LabelClassSerializer,
    WorkerSerializer,
)
from catalogue.models import Image, LabelClass
from pipeline import exports
from pipeline.models import Campaign, ImageInclusion, ImageLabels, ImageObject
from review import export as review_export


class Pagination(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# Export renderers: they name the formats for content negotiation (?format= or Accept); the
# body is streamed by the view, so render() only serves error responses.
class _ExportRenderer(renderers.BaseRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode()


def _export_renderer(fmt: str) -> type[renderers.BaseRenderer]:
    name = "".join(part.title() for part in fmt.split("-")) + "ExportRenderer"
    attrs = {"format": fmt, "media_type": exports.CONTENT_TYPES[fmt]}
    return type(name, (_ExportRenderer,), attrs)


# jsonl first: the default when the client names no format.
EXPORT_RENDERERS = [
    _export_renderer(fmt) for fmt in ["jsonl", "json", "csv", "imagenet-multilabel"]
]
EXPORT_SCHEMA = extend_schema(
    parameters=[
        OpenApiParameter(
            "format", OpenApiTypes.STR, enum=list(exports.FORMATS), description="Export format."
        )
    ],
    responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The labels.")},
)


def stream_export(campaign: Campaign, fmt: str) -> StreamingHttpResponse:
    pieces = exports.export_stream(campaign, fmt)
    response = StreamingHttpResponse(
        exports.batched(pieces), content_type=f"{exports.CONTENT_TYPES[fmt]}; charset=utf-8"
    )
    filename = f"{slugify(campaign.name)}-labels.{exports.EXTENSIONS[fmt]}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"  # let proxies pass the stream through
    return response


REVIEW_EXPORT_RENDERERS = [_export_renderer(fmt) for fmt in review_export.FORMATS]


def review_export_schema(description: str, extra: list[OpenApiParameter] = ()):
    return extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(review_export.FORMATS),
                description="Export format.",
            ),
            *extra,
        ],
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=description)},
    )


def stream_review_export(
    campaign: Campaign, what: str, fmt: str, truth_sets=None
) -> StreamingHttpResponse:
    pieces = review_export.export_stream(what, fmt, campaign.dataset, truth_sets)
    response = StreamingHttpResponse(
        exports.batched(pieces), content_type=f"{exports.CONTENT_TYPES[fmt]}; charset=utf-8"
    )
    filename = f"{slugify(campaign.name)}-{what}.{exports.EXTENSIONS[fmt]}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"
    return response


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination


class DatasetViewSet(ReadOnlyViewSet):
    """Datasets the user can see (staff: all; others: those of their campaigns)."""

    serializer_class = DatasetSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.datasets_with_counts(self.request.user)

    @EXPORT_SCHEMA
    @action(detail=True, renderer_classes=EXPORT_RENDERERS)
    def export(self, request: Request, pk=None, format=None) -> StreamingHttpResponse:
        """The labels of the dataset's most recent campaign visible to the user."""
        dataset = self.get_object()
        campaign = (
            selectors.visible_campaigns(request.user)
            .filter(dataset=dataset)
            .order_by("-created_at", "-id")
            .first()
        )
        if campaign is None:
            raise NotFound("this dataset has no campaign yet")
        return stream_export(campaign, request.accepted_renderer.format)


class LabelClassViewSet(ReadOnlyViewSet):
    """The class catalogue, by class index."""

    serializer_class = LabelClassSerializer
    lookup_field = "index"
    filters = [
        Filter(
            "superclass",
            "Superclass name.",
            lambda qs, v, r: qs.filter(superclass__name=v),
            kind="str",
        ),
        Filter(
            "search",
            "Part of the name, a synonym or the WordNet id.",
            lambda qs, v, r: (
                qs.filter(name__icontains=v) | qs.filter(wnid=v) | qs.filter(synonyms__icontains=v)
            ),
            kind="str",
        ),
    ]

    def get_queryset(self) -> QuerySet:
        queryset = LabelClass.objects.select_related("superclass").order_by("index")
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters(filters))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


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
        queryset = selectors.campaigns_with_runs(self.request.user)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters(filters))
    def list(self, request, *args, **kwargs):
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
    def ground_truth_export(self, request: Request, pk=None, format=None):
        """The multi-label ground truth of the campaign's dataset, streamed as JSONL or CSV."""
        from api.review import chosen_truth_sets

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
    def reviews_export(self, request: Request, pk=None, format=None):
        """The review panel's votes on the campaign's dataset, streamed as JSONL or CSV."""
        campaign = self.get_object()
        return stream_review_export(campaign, "reviews", request.accepted_renderer.format)


def _campaign_id(request: Request) -> int | None:
    """The `campaign` filter's id (checked in ImageViewSet.get_queryset)."""
    raw = request.query_params.get("campaign", "")
    return int(raw) if raw.isdigit() else None


def _in_campaign(rows: QuerySet, request: Request, field: str = "campaign_id") -> QuerySet:
    if (campaign := _campaign_id(request)) is not None:
        rows = rows.filter(**{field: campaign})
    return rows


def _with_final(qs: QuerySet, request: Request, **lookups) -> QuerySet:
    """Images with final labels matching `lookups` (in the filtered campaign, if any)."""
    rows = _in_campaign(ImageLabels.objects.filter(image=OuterRef("pk"), **lookups), request)
    return qs.filter(Exists(rows))


def _with_category(qs: QuerySet, category: str, request: Request) -> QuerySet:
    rows = ImageInclusion.objects.filter(image=OuterRef("pk"), category=category)
    return qs.filter(Exists(_in_campaign(rows, request)))


def _with_object(qs: QuerySet, label: LabelClass, request: Request) -> QuerySet:
    rows = ImageObject.objects.filter(image_labels__image=OuterRef("pk"), label=label)
    return qs.filter(Exists(_in_campaign(rows, request, "image_labels__campaign_id")))


CAMPAIGN_FILTER = Filter(
    "campaign",
    "Campaign id: its dataset's images, with nested data of this campaign only.",
    lambda qs, v, r: qs,  # applied in get_queryset
)


class ImageViewSet(ReadOnlyViewSet):
    """Images with their potential labels (and whether the predictions behind them used random
    weights), selection frequencies, candidates, inclusion category and final objects. With
    `campaign`, the nested data is that campaign's only."""

    serializer_class = ImageSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    filters = [
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

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Image.objects.none()
        user = self.request.user
        campaigns = selectors.visible_campaigns(user)
        raw = self.request.query_params.get("campaign")
        campaign = None
        if raw:
            campaign_id = CAMPAIGN_FILTER.parse(raw)
            campaign = campaigns.filter(pk=campaign_id).first()
            if campaign is None:
                raise ValidationError({"campaign": f"no campaign {campaign_id} visible to you"})
            campaigns = campaigns.filter(pk=campaign.pk)
        queryset = selectors.images_with_pipeline_data(user, campaigns)
        if campaign is not None:
            queryset = queryset.filter(dataset_id=campaign.dataset_id)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters(filters))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[CAMPAIGN_FILTER.parameter()])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class WorkerViewSet(ReadOnlyViewSet):
    """Workers with answer counts and control accuracy; with `campaign`, over that campaign."""

    serializer_class = WorkerSerializer
    campaign_filter = Filter(
        "campaign", "Campaign id: its workers, counted over it.", lambda qs, v, r: qs
    )
    filters = [
        Filter(
            "blocked",
            "Blocked workers (true) or the others (false).",
            lambda qs, v, r: qs.filter(blocked=v),
            kind="bool",
        ),
        Filter(
            "source",
            "Where the worker comes from.",
            lambda qs, v, r: qs.filter(source=v),
            kind="str",
            enum=["mturk", "local", "simulated"],
        ),
    ]

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        campaigns = None
        if raw := self.request.query_params.get("campaign"):
            campaign_id = self.campaign_filter.parse(raw)
            campaigns = selectors.visible_campaigns(user).filter(pk=campaign_id)
            if not campaigns.exists():
                raise ValidationError({"campaign": f"no campaign {campaign_id} visible to you"})
        queryset = selectors.workers_with_stats(user, campaigns)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters([campaign_filter, *filters]))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(exclude=True)
@api_view(["GET"])
@renderer_classes([renderers.TemplateHTMLRenderer])
def docs(request: Request):
    """The OpenAPI schema as a server-rendered page (no JavaScript, nothing from a CDN)."""
    schema = SchemaGenerator().get_schema(request=request, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "summary": operation.get("summary") or "",
                    "description": operation.get("description") or "",
                    "parameters": operation.get("parameters", []),
                    "tags": operation.get("tags", []),
                }
            )
    return render(request, "api/docs.html", {"info": schema["info"], "operations": operations})
