"""Bad input to the HIT pages and submits, which anyone can send without logging in: a 400 in
the submit endpoints' error shape (`{"error", "code": "malformed"}`) and nothing stored, never
a 500; and a real bug still a 500 in that shape, logged with its traceback."""

from __future__ import annotations

import json
import logging

import pytest

from crowd.hits import views as hit_views
from tests.crowd.hits.helpers import (
    CONFIG,
    mturk_query,
    nothing_stored,
    page_config,
    page_url,
    post_json,
)

pytestmark = pytest.mark.django_db


def assert_malformed(response, words: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "malformed" and set(body) == {"error", "code"}
    assert words in body["error"]


NESTED = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    "body", [NESTED, '{"positions": ' + NESTED + "}", '{"a": ' * 3000 + "1" + "}" * 3000]
)
def test_a_body_nested_too_deeply_is_malformed(client, grid, task, body):
    for kind, public_id, hit in (
        ("contains", grid.public_id, "H1"),
        ("classify", task.public_id, "HT1"),
    ):
        config = page_config(client, page_url(kind, public_id, **mturk_query(hit=hit)))
        status, result = post_json(client, config["submit_url"], body)
        assert status == 400 and result["code"] == "malformed", result
    assert nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "/hit/contains/%00/",
        "/hit/classify/%00/",
        "/hit/contains/x%00y/submit",
        "/hit/classify/" + "x" * 300 + "/",
    ],
)
def test_a_malformed_path_is_refused(client, path):
    if path.endswith("/"):  # a page
        response = client.get(path)
    else:
        response = client.post(path, "{}", content_type="application/json")
    assert_malformed(response, "page address")


@pytest.mark.parametrize(
    "ids, name",
    [
        ({"worker": "W\x001"}, "workerId"),
        ({"assignment": "A\x001"}, "assignmentId"),
        ({"hit": "H1\x00"}, "hitId"),
        ({"worker": "W" * 129}, "workerId"),
        ({"assignment": "A" * 129}, "assignmentId"),
    ],
)
def test_a_nul_or_over_long_mturk_id_is_refused_before_anything_is_stored(client, grid, ids, name):
    """PostgreSQL refuses a NUL in a string (a 500 once a query holds it), SQLite stores it,
    and an id longer than its column fails the insert on PostgreSQL: the page refuses them,
    so no page token (and no answer) can carry one."""
    response = client.get(page_url("contains", grid.public_id, **mturk_query(**ids)))
    assert_malformed(response, name)
    assert nothing_stored()


@pytest.mark.parametrize("ids", [{"worker": "W\x001"}, {"assignment": "A\x001"}])
def test_answering_through_a_page_opened_with_a_nul_id_stores_nothing(client, grid, ids):
    """What a program answering through HTTP would do: open the page, post the answer with the
    token it gives. (SQLite stored the NUL, PostgreSQL answered 500.)"""
    response = client.get(page_url("contains", grid.public_id, **mturk_query(**ids)))
    if found := CONFIG.search(response.content.decode()):
        config = json.loads(found.group(1))
        post_json(client, config["submit_url"], {"token": config.get("token"), "positions": [1]})
    assert nothing_stored()
    assert response.status_code == 400


def test_a_turk_submit_to_that_is_no_url_closes_the_page(client, grid):
    for value in ("http://[", "https://a\uff03b"):  # urlsplit raises on both
        query = {**mturk_query(), "turkSubmitTo": value}
        response = client.get(page_url("contains", grid.public_id, **query))
        assert response.status_code == 200
        config = page_config(client, page_url("contains", grid.public_id, **query))
        assert config["mode"] == "closed" and not config["can_submit"]


def test_good_ids_still_open_and_submit(client, grid):
    config = page_config(client, page_url("contains", grid.public_id, **mturk_query("A" * 64)))
    assert config["can_submit"]
    status, _ = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [1]}
    )
    assert status == 201


def test_an_unexpected_error_is_a_logged_500_in_the_error_shape(client, grid, monkeypatch, caplog):
    def broken(public_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(hit_views, "contains_content", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get(page_url("contains", grid.public_id, **mturk_query()))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": "Internal server error.",
        "code": "server_error",
    }
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "a bug" in str(logged[0].exc_info[1])
