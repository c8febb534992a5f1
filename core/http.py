"""A FinelabelError as an HTTP answer: the same JSON shape for the API and the HIT endpoints,
`{"error": message, "code": code}`. DRF's own errors (a bad parameter, a missing token, an
unknown format) are answered in that shape too, and so is a server error under /api/ and
/hit/ (handler500)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.handlers import HIT_PATH_PREFIX
from core.errors import FinelabelError

API_PATH_PREFIX = "/api/"  # where config/urls.py mounts api.urls


def error_body(exc: FinelabelError) -> dict[str, str]:
    return {"error": exc.message, "code": exc.code}


def error_response(exc: FinelabelError) -> JsonResponse:
    return JsonResponse(error_body(exc), status=exc.status)


def _details(data: Any, field: str = "") -> Iterator[tuple[str, str | None]]:
    """(message, code) of each error in DRF's error data, a message prefixed by its field."""
    if isinstance(data, dict):
        for key, value in data.items():
            named = "" if key in ("detail", "non_field_errors") else str(key)
            yield from _details(value, f"{field}.{named}" if field and named else field or named)
    elif isinstance(data, list):
        for item in data:
            yield from _details(item, field)
    else:
        yield (f"{field}: {data}" if field else str(data)), getattr(data, "code", None)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: the project's errors first, then DRF's own, in the
    same shape (its headers kept: WWW-Authenticate, Retry-After). Anything else is a bug:
    None, so that Django logs it and answers 500 (server_error)."""
    if isinstance(exc, FinelabelError):
        return Response(error_body(exc), status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None:
        details = list(_details(response.data)) or [("Request refused.", None)]
        code = next((code for _, code in details if code), "invalid")
        response.data = {"error": "; ".join(message for message, _ in details), "code": code}
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 (config/urls.py): the API and the HIT endpoints answer a server error in
    their JSON shape, other pages with the 500 page. Django has logged the error with its
    traceback before this runs (the django.request logger): the 500 hides nothing."""
    if request.path_info.startswith((API_PATH_PREFIX, HIT_PATH_PREFIX)):
        return JsonResponse({"error": "Internal server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)
