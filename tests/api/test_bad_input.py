"""Bad input to the API is the client's error: a 400 in the project's error shape
(`{"error", "code"}`, as the HIT submit endpoints answer), naming the parameter, never a 500.
And a real bug still answers 500, in that shape, and is logged with its traceback."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalogue.api import views as catalogue_views
from review.models import GroundTruthSet
from tests.api.helpers import client_for
from tests.crowd.factories import make_campaign

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world():
    staff = User.objects.create_user("root", password="x", is_staff=True)
    campaign = make_campaign()
    GroundTruthSet.objects.create(name="panel", kind=GroundTruthSet.Kind.EXPERT)
    return {"client": client_for(staff), "campaign": campaign}


def assert_refused(response, parameter: str, status: int = 400) -> None:
    assert response.status_code == status, response.content[:300]
    body = json.loads(response.content)  # an export's error says its format's content type
    assert set(body) == {"error", "code"}, body
    assert parameter in body["error"]


SUPERSCRIPT_TWO = "%C2%B2"  # "²": str.isdigit() says yes, int() says no
LONG_NUMBER = "9" * 5000  # over int()'s 4,300 digits


@pytest.mark.parametrize(
    "path, parameter, value",
    [
        # label-like filters: a class index or a WordNet id
        ("images/", "label", SUPERSCRIPT_TWO),
        ("images/", "main_label", SUPERSCRIPT_TWO),
        ("images/", "object_label", SUPERSCRIPT_TWO),
        ("images/", "label", LONG_NUMBER),
        ("images/", "label", "%00"),
        ("review-items/", "label", SUPERSCRIPT_TWO),
        ("ground-truth-sets/panel/images/", "label", SUPERSCRIPT_TWO),
        ("ground-truth-sets/panel/images/", "label", LONG_NUMBER),
        # integer filters: ASCII digits, within a 64-bit id
        ("images/", "dataset", "99999999999999999999999"),
        ("images/", "num_objects", "%D9%A3"),  # an Arabic-Indic three
        ("images/", "campaign", SUPERSCRIPT_TWO),
        ("workers/", "campaign", LONG_NUMBER),
        ("campaigns/", "dataset", "-1"),
        ("scores/", "dataset", SUPERSCRIPT_TWO),
        # text filters: no NUL, bounded length
        ("classes/", "search", "a%00b"),
        ("classes/", "superclass", "%00"),
        ("classes/", "search", "x" * 5000),
        ("scores/", "truth_set", "panel%00"),
        ("scores/", "evaluation_slice", "%00"),
        ("scores/", "predictor", "%00"),
        ("campaigns/{campaign}/export/ground-truth/", "truth_set", "%00"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(world, path, parameter, value):
    url = "/api/" + path.format(campaign=world["campaign"].pk) + f"?{parameter}={value}"
    assert_refused(world["client"].get(url), parameter)


@pytest.mark.parametrize(
    "path", ["campaigns/", "images/", "schema/", "campaigns/{campaign}/export/"]
)
def test_an_unknown_format_is_a_400_not_a_404(world, path):
    url = "/api/" + path.format(campaign=world["campaign"].pk) + "?format=xml"
    assert_refused(world["client"].get(url), "format")


def test_known_formats_still_answer(world):
    client, pk = world["client"], world["campaign"].pk
    assert client.get("/api/campaigns/?format=json").status_code == 200
    assert client.get("/api/schema/?format=json").status_code == 200
    assert client.get(f"/api/campaigns/{pk}/export/?format=csv").status_code == 200


def test_good_values_still_filter(world):
    client, campaign = world["client"], world["campaign"]
    found = client.get(f"/api/campaigns/?dataset={campaign.dataset_id}").json()["results"]
    assert [c["id"] for c in found] == [campaign.pk]
    assert client.get(f"/api/campaigns/?dataset={campaign.dataset_id + 1}").json()["count"] == 0
    assert client.get("/api/scores/?truth_set=panel").status_code == 200


def test_a_deeply_nested_json_body_is_a_400():
    """/api/token/ parses JSON before any login."""
    body = '{"username": ' + "[" * 5000 + "]" * 5000 + "}"
    response = APIClient().post("/api/token/", body, content_type="application/json")
    assert_refused(response, "JSON")
    assert response.json()["code"] == "parse_error"


def test_drfs_own_errors_have_the_same_shape(world):
    assert APIClient().get("/api/campaigns/").json() == {
        "error": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    missing = world["client"].get("/api/campaigns/999999/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = world["client"].get("/api/images/?label=n00000000")
    assert bad.json() == {
        "error": "label: no class with index or wnid 'n00000000'",
        "code": "invalid",
    }


def test_an_unexpected_error_is_a_logged_500_in_the_error_shape(world, monkeypatch, caplog):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalogue_views.LabelClassViewSet, "get_queryset", broken)
    client = world["client"]
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/classes/")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error.", "code": "server_error"}
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "a bug" in str(logged[0].exc_info[1])
