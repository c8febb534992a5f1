"""The WSGI application granian and runserver serve (config/wsgi.py): HIT paths through the
short middleware chain (config/handlers.py), everything else through Django's full one.

Requests go through `config.wsgi.application` itself, as a WSGI server calls it (Django's test
client would run its own handler with the full chain): so these tests use real transactions,
as a server's requests do."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.handlers import HitHandler
from config.wsgi import application
from crowd.hits import views as hit_views
from crowd.models import ContainsAnswer, Worker
from tests.crowd.factories import make_campaign, make_grid, publish
from tests.crowd.hits.helpers import CONFIG, mturk_query, page_url

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def call(method: str, url: str, body: bytes = b"") -> Response:
    """One request through the WSGI application, as a server makes it."""
    parts = urlsplit(url)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    started: list = []
    chunks = application(environ, lambda status, headers, exc_info=None: started.append(
        (status, headers)
    ))  # fmt: skip
    try:
        body_out = b"".join(chunks)
    finally:
        chunks.close()
    status, headers = started[0]
    by_name: dict[str, list[str]] = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    return Response(int(status.split()[0]), by_name, body_out)


def test_hit_paths_take_the_short_chain_and_the_rest_the_full_one():
    grid = make_grid(make_campaign())
    for kind in ("contains", "classify"):
        assert application.handler_for(page_url(kind, grid.public_id)) is application.hits
    assert application.handler_for("/hit/contains/x/submit") is application.hits
    for path in ("/admin/", "/dashboard/", "/api/labels/", "/", "/hitlist/"):
        assert application.handler_for(path) is application.full
    assert isinstance(application.hits, HitHandler)
    assert not isinstance(application.full, HitHandler)


def test_a_hit_page_and_its_submit_keep_their_headers_and_store_the_answer():
    grid = make_grid(make_campaign())
    publish(grid, "H1")  # answers through MTurk's parameters must name a HIT of the task
    page = call("GET", page_url("contains", grid.public_id, **mturk_query("A1", "W1")))
    assert page.status == 200
    assert page.header("Content-Security-Policy").startswith("frame-ancestors ")
    assert page.header("X-Frame-Options") is None  # framed by MTurk
    assert page.header("X-Content-Type-Options") == "nosniff"  # SecurityMiddleware
    assert page.header("Cache-Control") == "no-store"
    assert "set-cookie" not in page.headers  # no session, CSRF or messages cookie
    config = json.loads(CONFIG.search(page.body.decode()).group(1))

    body = json.dumps({"token": config["token"], "positions": [2, 5], "duration_ms": 900})
    submitted = call("POST", config["submit_url"], body.encode())
    assert submitted.status == 201, submitted.body
    stored = ContainsAnswer.objects.get(pk=json.loads(submitted.body)["answer"])
    assert sorted(stored.selections.values_list("item__position", flat=True)) == [2, 5]
    assert "set-cookie" not in submitted.headers


def test_an_unknown_hit_is_a_404_that_cannot_be_framed():
    response = call("GET", "/hit/contains/no-such-grid/")
    assert response.status == 404
    assert response.header("X-Frame-Options") == "DENY"


def test_other_paths_keep_the_full_middleware():
    response = call("GET", "/admin/login/")
    assert response.status == 200
    assert response.header("X-Frame-Options") == "DENY"
    assert any(c.strip().startswith("csrftoken=") for c in response.headers["set-cookie"])


@override_settings(HIT_MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"])
def test_middleware_the_hit_handler_cannot_run_is_refused_with_its_name():
    with pytest.raises(ImproperlyConfigured, match="CsrfViewMiddleware has process_view"):
        HitHandler()


def test_a_malformed_hit_path_or_mturk_id_is_refused_in_the_short_chain_too():
    grid = make_grid(make_campaign())
    for url in (
        "/hit/contains/\x00/",  # PATH_INFO as a server passes it, decoded
        page_url("contains", grid.public_id, **mturk_query(worker="W\x00")),
    ):
        response = call("GET", url)
        assert response.status == 400
        assert json.loads(response.body)["code"] == "malformed"
    assert not Worker.objects.exists()


def test_a_bug_in_a_hit_view_is_a_500_in_the_error_shape(monkeypatch):
    def broken(public_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(hit_views, "contains_content", broken)
    response = call("GET", "/hit/contains/anything/")
    assert response.status == 500
    assert json.loads(response.body) == {"error": "Internal server error.", "code": "server_error"}


def test_head_on_a_hit_page_answers_like_get_without_a_body():
    """Link checkers and MTurk's own probes ask with HEAD: the page's status and headers."""
    grid = make_grid(make_campaign())
    for query in ({}, mturk_query("A1", "W1")):
        url = page_url("contains", grid.public_id, **query)
        page, head = call("GET", url), call("HEAD", url)
        assert (head.status, head.body) == (200, b"")
        for name in ("Content-Type", "Content-Security-Policy", "Cache-Control"):
            assert head.header(name) == page.header(name)
    assert call("HEAD", "/hit/contains/no-such-grid/").status == 404
    assert not Worker.objects.exists()
