"""The REST shell: authentication by token or session on every endpoint, pagination, the
schema and its docs pages."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.helpers import API_TEST_MARKS, client_for, make_world

pytestmark = API_TEST_MARKS
LIST_ENDPOINTS = ["datasets", "classes", "images", "campaigns", "workers"]


@pytest.fixture
def world(catalogue):
    return make_world()


@pytest.mark.parametrize(
    "path", [*LIST_ENDPOINTS, "schema", "campaigns/{c}", "campaigns/{c}/export"]
)
def test_no_token_or_a_wrong_one_is_refused(world, path):
    url = "/api/" + path.format(c=world["campaign"].pk) + "/"
    assert APIClient().get(url).status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.get(url).status_code == 401


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_a_token_opens_every_endpoint(world, path):
    response = client_for(world["alice"]).get(f"/api/{path}/")
    assert response.status_code == 200
    assert response.json()["count"] > 0 or path == "workers"  # no worker in this campaign


def test_token_from_the_command_authenticates(world, capsys):
    call_command("drf_create_token", "alice")
    key = Token.objects.get(user=world["alice"]).key
    assert key in capsys.readouterr().out
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/campaigns/").status_code == 200


def test_token_endpoint_and_session_login(world):
    response = APIClient().post("/api/token/", {"username": "alice", "password": "x"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    session = APIClient()
    assert session.login(username="alice", password="x")
    assert session.get("/api/campaigns/").status_code == 200


def test_pagination(world):
    client = client_for(world["alice"])
    total = len(world["images"])
    first = client.get("/api/images/?page_size=3").json()
    assert first["count"] == total and len(first["results"]) == 3 and first["previous"] is None
    seen = [i["id"] for i in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [i["id"] for i in page["results"]]
    assert seen == [i.public_id for i in world["images"]]  # every image once, in id order


def test_schema_validates_and_docs_list_every_endpoint(world):
    client = client_for(world["alice"])
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/campaigns/{id}/export/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/images/"]["get"]["parameters"]}
    assert {"campaign", "num_objects", "inclusion", "label", "page", "page_size"} <= params
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "GET /api/images/{id}/" in html and "num_objects" in html
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("page", ["/api/swagger/", "/api/redoc/"])
def test_interactive_docs_load_their_scripts_from_our_static_files(world, page):
    from django.contrib.staticfiles import finders

    assert APIClient().get(page).status_code in (401, 403)
    html = client_for(world["alice"]).get(page).content.decode()
    scripts = re.findall(r'src="/static/([^"]+)"', html)
    assert scripts and all(finders.find(path) for path in scripts)
    assert "cdn" not in html.lower() and "/api/schema/" in html
