"""Who sees what (api.access): a user sees their own campaigns and those campaigns' datasets
and images; staff see everything."""

from __future__ import annotations

import pytest

from tests.api.helpers import API_TEST_MARKS, User, client_for, make_world

pytestmark = API_TEST_MARKS


@pytest.fixture
def world(catalogue):
    return make_world()


def test_another_users_campaign_is_invisible(world):
    alice = client_for(world["alice"])
    other = world["other"]
    assert alice.get(f"/api/campaigns/{other.pk}/").status_code == 404
    assert alice.get(f"/api/campaigns/{other.pk}/export/?format=csv").status_code == 404
    assert alice.get(f"/api/datasets/{other.dataset_id}/").status_code == 404
    assert alice.get(f"/api/images/{world['other_images'][0].public_id}/").status_code == 404
    assert alice.get(f"/api/images/?campaign={other.pk}").status_code == 400
    names = [c["name"] for c in alice.get("/api/campaigns/").json()["results"]]
    assert names == ["alice-c"]
    image_ids = {i["id"] for i in alice.get("/api/images/?page_size=1000").json()["results"]}
    assert image_ids == {i.public_id for i in world["images"]}


def test_staff_see_every_campaign(world):
    staff = User.objects.create_user("staff", is_staff=True)
    names = {c["name"] for c in client_for(staff).get("/api/campaigns/").json()["results"]}
    assert names == {"alice-c", "bob-c"}
