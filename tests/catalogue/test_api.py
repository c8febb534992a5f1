"""The catalogue's API (catalogue.api): classes by index with their filters, and datasets
with their image counts."""

from __future__ import annotations

import pytest

from catalogue.models import LabelClass
from tests.api.helpers import API_TEST_MARKS, client_for, make_world

pytestmark = API_TEST_MARKS


@pytest.fixture
def world(catalogue):
    return make_world()


def test_classes_by_index_search_and_superclass(world):
    client = client_for(world["alice"])
    label = world["images"][0].label
    detail = client.get(f"/api/classes/{label.index}/").json()
    assert (detail["wnid"], detail["name"]) == (label.wnid, label.name)
    found = client.get(f"/api/classes/?search={label.wnid}").json()["results"]
    assert [c["index"] for c in found] == [label.index]
    grouped = LabelClass.objects.filter(superclass__isnull=False).first()
    if grouped is None:
        pytest.skip("no superclass in this catalogue")
    name = grouped.superclass.name
    body = client.get("/api/classes/", {"superclass": name, "page_size": 1000}).json()
    assert body["count"] == LabelClass.objects.filter(superclass__name=name).count()
    assert {c["superclass"] for c in body["results"]} == {name}


def test_datasets_count_their_images(world):
    results = client_for(world["alice"]).get("/api/datasets/").json()["results"]
    assert [d["name"] for d in results] == [world["campaign"].dataset.name]
    assert results[0]["image_count"] == len(world["images"])
