"""The `docs` page: the OpenAPI schema rendered on the server."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import renderers
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request


def _operations(schema: dict) -> list[dict]:
    """One row per path and method, in the schema's order."""
    return [
        {
            "path": path,
            "method": method.upper(),
            "summary": operation.get("summary") or "",
            "description": operation.get("description") or "",
            "parameters": operation.get("parameters", []),
            "tags": operation.get("tags", []),
        }
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


@extend_schema(exclude=True)
@api_view(["GET"])
@renderer_classes([renderers.TemplateHTMLRenderer])
@permission_classes([AllowAny])  # checked below: a person without a session goes to sign in
def docs(request: Request) -> HttpResponse:
    """The OpenAPI schema as a server-rendered page (no JavaScript, nothing from a CDN)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    schema = SchemaGenerator().get_schema(request=request, public=True)
    context = {"info": schema["info"], "operations": _operations(schema)}
    return render(request, "api/docs.html", context)
