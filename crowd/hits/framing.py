"""Only Mechanical Turk may frame the HIT pages; every other page keeps Django's
X-Frame-Options: DENY (the clickjacking middleware stays on for the whole site)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpResponse


def mturk_frameable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Allow framing by FINELABEL_HIT_FRAME_ANCESTORS (CSP frame-ancestors) instead of
    X-Frame-Options, which cannot name an allowed site."""

    @wraps(view)
    def wrapped(*args, **kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        ancestors = " ".join(settings.FINELABEL_HIT_FRAME_ANCESTORS) or "'none'"
        response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.xframe_options_exempt = True
        # The URL holds the worker's ids: keep it from the Wikipedia links.
        response["Referrer-Policy"] = "same-origin"
        # The page holds a token for one worker's assignment: never cache it.
        response["Cache-Control"] = "no-store"
        return response

    return wrapped
