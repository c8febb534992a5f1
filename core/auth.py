"""Throttling failed logins, with django-axes: the admin's login form (the dashboard and the
review screens sign in through it) and the API's /api/token/ count failures together. After
AXES_FAILURE_LIMIT failures from one address, or for one account, every attempt is refused
(429), the right password included, until AXES_COOLOFF_TIME has passed (settings:
FINELABEL_LOGIN_FAILURE_LIMIT, FINELABEL_LOGIN_COOLOFF_MINUTES). What axes does not know about
this project is here: who the client is behind the TLS proxy, logins that are not over HTTP,
and the answer of the token endpoint."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from core.errors import FinelabelError


class LoginLocked(FinelabelError):
    status = 429
    code = "locked"


LOCKED = (
    "Too many failed logins: signing in is locked for a while, the right password included. "
    "Try again later."
)


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' backend (first in AUTHENTICATION_BACKENDS: it refuses a locked-out client before
    any password is checked), for logins over HTTP only. A login without a request (the test
    client's login(), a shell) has no address to count against and cannot be made by a remote
    client: it goes on to the next backend instead of being refused as axes would."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: who is logging in. In production the application is reached
    only through the TLS proxy (docker-compose.yml), so REMOTE_ADDR is the proxy's address and
    the client is the one the proxy appended last to X-Forwarded-For (earlier entries come from
    the client and prove nothing). Elsewhere nothing sits in front: REMOTE_ADDR."""
    if settings.FINELABEL_PRODUCTION:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if last := forwarded.rsplit(",", 1)[-1].strip():
            return last
    return request.META.get("REMOTE_ADDR")


class TokenLogin(ObtainAuthToken):
    """/api/token/: DRF's token login, answering 429 while axes locks the client out (DRF's
    own view would say the credentials are wrong, which they may not be)."""

    # The project's parsers, not ObtainAuthToken's own: a JSON body nested too deeply is a 400.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    def post(self, request, *args: Any, **kwargs: Any):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # axes flags the request it refused, or the one whose failure started the lock.
            if getattr(request, "axes_locked_out", False):
                raise LoginLocked(LOCKED) from None
            raise
