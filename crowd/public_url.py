"""FINELABEL_PUBLIC_URL, the address Mechanical Turk frames the HIT pages from: checked at
start (`manage.py check --deploy`, run by the production stack) and before any HIT is
published, since MTurk only frames https pages and a host nobody can resolve shows workers an
empty frame while their time and the campaign's money run."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from core.errors import FinelabelError


class PublicUrlError(FinelabelError):
    """FINELABEL_PUBLIC_URL cannot serve the HIT pages."""


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the public address of the HIT pages, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return (
            f"FINELABEL_PUBLIC_URL must be the public https:// address of this server "
            f"(MTurk frames only https pages); it is {url or 'unset'!r}."
        )
    try:
        socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return (
            f"FINELABEL_PUBLIC_URL {url!r}: its host {parts.hostname!r} does not resolve "
            f"({exc}); set it to the name the TLS proxy serves (FINELABEL_DOMAIN)."
        )
    return None


def check_public_url() -> str:
    """FINELABEL_PUBLIC_URL without its trailing slash; raises PublicUrlError when unusable."""
    url = (settings.FINELABEL_PUBLIC_URL or "").rstrip("/")
    if problem := public_url_problem(url):
        raise PublicUrlError(problem)
    return url


@register(deploy=True)
def public_url_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """`check --deploy`: a FINELABEL_PUBLIC_URL that is set must be usable (left unset, only
    the local crowd works and `mturk publish` refuses)."""
    url = (settings.FINELABEL_PUBLIC_URL or "").rstrip("/")
    if not url:
        return []
    problem = public_url_problem(url)
    return [Error(problem, id="crowd.E001")] if problem else []
