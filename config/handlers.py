"""The WSGI application: Django's handler, with a shorter middleware chain for the crowd's
HIT pages and submits (config/wsgi.py serves this).

HIT requests are most of what a campaign serves, and they use none of what most of the
middleware is for: no session or login (a HIT page inside MTurk's iframe cannot count on
cookies), no messages, no CSRF cookie (the submit is authorised by its signed page token:
docs/hits-and-mturk.md, "Security of the pages"), no static files, no slash redirects (we build
every HIT URL). Yet that middleware would run on every one of them, a sizeable share of a page
view's and a submit's CPU (bench/README.md, bench/load.py). So under HIT_PATH_PREFIX, requests
go to a handler whose chain is settings.HIT_MIDDLEWARE (the security headers, the frame
policy and HitInputCheck); everything else goes to Django's own handler, unchanged.

HitInputCheck (in both chains) refuses, before any view, a HIT request whose path or MTurk
parameters no task or worker can have: the views look them up and the submit stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.module_loading import import_string

from core.errors import FinelabelError

HIT_PATH_PREFIX = "/hit/"  # where config/urls.py mounts crowd.hits.urls
# The parameters MTurk puts in a HIT page's URL (crowd.hits.access). Its ids are at most 64
# characters; the columns that keep them (Worker.external_id, Assignment's ids) hold 128.
MTURK_PARAMETERS = ("assignmentId", "hitId", "workerId", "turkSubmitTo")
MAX_MTURK_PARAMETER_LENGTH = 128
MAX_HIT_PATH_LENGTH = 200  # the longest real one, /hit/classify/<32 characters>/submit, is 53
# Hooks that BaseHandler runs outside the chain; the short chain keeps none, so it takes only
# middleware without them.
_HOOKS = ("process_view", "process_template_response", "process_exception")


class HitHandler(WSGIHandler):
    """Django's WSGI handler with settings.HIT_MIDDLEWARE as its chain (sync middleware with
    no hooks outside the chain: see _HOOKS)."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware, self._template_response_middleware = [], []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.HIT_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hooks := [hook for hook in _HOOKS if hasattr(middleware, hook)]:
                raise ImproperlyConfigured(
                    f"HIT_MIDDLEWARE: {path} has {', '.join(hooks)}, which the HIT handler "
                    "does not run; leave it out or serve it through MIDDLEWARE."
                )
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def hit_input_problem(path: str, query: QueryDict) -> str | None:
    """Why a HIT request with this path and query cannot be any task's or worker's, if so: a
    NUL character (PostgreSQL refuses it in a string, SQLite would store it) or a length past
    what is kept."""
    if "\x00" in path:
        return "The page address holds a NUL character."
    if len(path) > MAX_HIT_PATH_LENGTH:
        return "The page address is too long."
    for name in MTURK_PARAMETERS:
        for value in query.getlist(name):
            if "\x00" in value:
                return f"The page address is malformed: {name} holds a NUL character."
            if len(value) > MAX_MTURK_PARAMETER_LENGTH:
                return (
                    f"The page address is malformed: {name} is longer than "
                    f"{MAX_MTURK_PARAMETER_LENGTH} characters."
                )
    return None


class HitInputCheck:
    """Middleware, in MIDDLEWARE and HIT_MIDDLEWARE: a HIT request with a malformed path or
    MTurk parameter (hit_input_problem) is a 400 in the submit endpoints' error shape, before
    any view reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from core.http import error_response  # DRF's: importable only once Django is set up

        self.get_response = get_response
        self.error_response = error_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(HIT_PATH_PREFIX) and (
            problem := hit_input_problem(request.path_info, request.GET)
        ):
            return self.error_response(FinelabelError(problem, "malformed"))
        return self.get_response(request)


StartResponse = Callable[..., Any]


class Application:
    """HIT paths to the HIT handler, every other path to Django's full handler."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.hits = HitHandler()

    def handler_for(self, path_info: str) -> WSGIHandler:
        return self.hits if path_info.startswith(HIT_PATH_PREFIX) else self.full

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self.handler_for(environ.get("PATH_INFO", ""))(environ, start_response)
