"""A FinelabelError as an HTTP answer: the same JSON shape for the API and the HIT endpoints."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import FinelabelError


def error_body(exc: FinelabelError) -> dict[str, str]:
    return {"error": exc.message, "code": exc.code}


def error_response(exc: FinelabelError) -> JsonResponse:
    return JsonResponse(error_body(exc), status=exc.status)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: the project's errors first, then DRF's own."""
    if isinstance(exc, FinelabelError):
        return Response(error_body(exc), status=exc.status)
    return drf_exception_handler(exc, context)
