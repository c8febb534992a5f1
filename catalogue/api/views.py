"""Datasets (with the labels export of their latest campaign) and the class catalogue."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import User, visible_campaigns, visible_datasets
from api.filters import Filter, apply_filters, parameters
from api.pagination import ReadOnlyViewSet
from catalogue.api.serializers import DatasetSerializer, LabelClassSerializer
from catalogue.models import Dataset, LabelClass
from pipeline.api.exports import EXPORT_RENDERERS, EXPORT_SCHEMA, stream_export
from pipeline.selectors import latest_labelled_campaign


def datasets_with_counts(user: User) -> QuerySet[Dataset]:
    """The datasets the user can see, by name, each with its number of images."""
    return visible_datasets(user).annotate(image_count=Count("images")).order_by("name")


class DatasetViewSet(ReadOnlyViewSet):
    """Datasets the user can see (staff: all; others: those of their campaigns)."""

    serializer_class = DatasetSerializer

    def get_queryset(self) -> QuerySet:
        return datasets_with_counts(self.request.user)

    @EXPORT_SCHEMA
    @action(detail=True, renderer_classes=EXPORT_RENDERERS)
    def export(self, request: Request, pk=None, format=None) -> StreamingHttpResponse:
        """The labels of the dataset's most recent campaign with final labels visible to the
        user (the latest campaign when none has any yet); the X-Finelabel-Campaign header
        names it."""
        dataset = self.get_object()
        campaigns = visible_campaigns(request.user).filter(dataset=dataset)
        campaign = latest_labelled_campaign(campaigns) or campaigns.order_by("-created_at").first()
        if campaign is None:
            raise NotFound("this dataset has no campaign yet")
        response = stream_export(campaign, request.accepted_renderer.format)
        response["X-Finelabel-Campaign"] = f"{campaign.pk} {campaign.name}"
        return response


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
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)
