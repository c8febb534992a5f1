"""How the API reads a request: which renderer answers it (`?format=` or Accept) and its JSON
body. DRF's own classes answer an unknown format with a 404, and a body nested past Python's
recursion limit with a 500; both are the client's error, a 400 (REST_FRAMEWORK in
config/settings.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with an unknown format (`?format=xml`, or a `.xml` suffix) a 400
    naming the formats the endpoint has, answered in JSON whatever the endpoint renders."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        fmt = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if fmt and not any(renderer.format == fmt for renderer in renderers):
            # The error's renderer: DRF would take the endpoint's first (YAML, an export's).
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
            known = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise ValidationError(
                {"format": f"unknown format {fmt[:40]!r}; expected one of {known}"}
            )
        return super().select_renderer(request, renderers, format_suffix)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python's parser a parse error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
