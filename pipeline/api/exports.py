"""Streamed exports through the API: the renderers that name each format for content
negotiation (`?format=` or Accept), their schema, and the streaming responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.http import StreamingHttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers

from pipeline import exports
from pipeline.models import Campaign
from review import export as review_export
from review.models import GroundTruthSet


class _ExportRenderer(renderers.BaseRenderer):
    """Names a format; the body is streamed by the view, so render() only serves errors."""

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
REVIEW_EXPORT_RENDERERS = [_export_renderer(fmt) for fmt in review_export.FORMATS]


def review_export_schema(
    description: str, extra: Iterable[OpenApiParameter] = ()
) -> Callable[[Callable], Callable]:
    """The schema of a review export action: its formats, `extra` parameters, a binary body."""
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


def _attachment(pieces: Iterable[str], fmt: str, filename: str) -> StreamingHttpResponse:
    """`pieces` streamed in batches as a download named `filename`, unbuffered by proxies."""
    response = StreamingHttpResponse(
        exports.batched(pieces), content_type=f"{exports.CONTENT_TYPES[fmt]}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Accel-Buffering"] = "no"  # let proxies pass the stream through
    return response


def stream_export(campaign: Campaign, fmt: str) -> StreamingHttpResponse:
    """Every label of the campaign in `fmt`, as `<campaign>-labels.<ext>`."""
    filename = f"{slugify(campaign.name)}-labels.{exports.EXTENSIONS[fmt]}"
    return _attachment(exports.export_stream(campaign, fmt), fmt, filename)


def stream_review_export(
    campaign: Campaign,
    what: str,
    fmt: str,
    truth_sets: list[GroundTruthSet] | None = None,
) -> StreamingHttpResponse:
    """The review data `what` of the campaign's dataset in `fmt`, as `<campaign>-<what>.<ext>`."""
    pieces = review_export.export_stream(what, fmt, campaign.dataset, truth_sets)
    filename = f"{slugify(campaign.name)}-{what}.{exports.EXTENSIONS[fmt]}"
    return _attachment(pieces, fmt, filename)
