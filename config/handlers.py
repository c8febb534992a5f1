"""The WSGI application: Django's handler, with a shorter middleware chain for the crowd's
HIT pages and submits (config/wsgi.py serves this).

HIT requests are most of what a campaign serves, and they use none of what most of the
middleware is for: no session or login (a HIT page inside MTurk's iframe cannot count on
cookies), no messages, no CSRF cookie (the submit is authorised by its signed page token:
docs/hits-and-mturk.md, "Security of the pages"), no static files, no slash redirects (we build
every HIT URL). Yet that middleware would run on every one of them, a sizeable share of a page
view's and a submit's CPU (bench/README.md, bench/load.py). So under HIT_PATH_PREFIX, requests
go to a handler whose chain is settings.HIT_MIDDLEWARE (the security headers and the frame
policy); everything else goes to Django's own handler, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

HIT_PATH_PREFIX = "/hit/"  # where config/urls.py mounts crowd.hits.urls
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
