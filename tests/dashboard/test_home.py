"""The home page lists datasets and campaigns only to a signed-in user who may see them (the
API's rules, api.access): nothing to an anonymous visitor, a user's own campaigns and their
datasets to that user, everything to staff."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalogue.models import Dataset
from pipeline.models import Campaign

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def world():
    alice = User.objects.create_user("alice", password="x")
    bob = User.objects.create_user("bob", password="x")
    for owner, name in ((alice, "alice"), (bob, "bob"), (None, "lab")):
        dataset = Dataset.objects.create(name=f"{name}-images")
        Campaign.objects.create(name=f"{name}-campaign", dataset=dataset, owner=owner)
    return {"alice": alice, "bob": bob}


def listed(client) -> set[str]:
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    names = [f"{n}-{kind}" for n in ("alice", "bob", "lab") for kind in ("images", "campaign")]
    return {name for name in names if name in page}


def test_an_anonymous_visitor_sees_no_dataset_or_campaign(client, world):
    assert listed(client) == set()
    page = client.get("/").content.decode()
    assert "Sign in" in page and "/accounts/login/" in page


def test_a_user_sees_their_own_campaigns_and_their_datasets_only(client, world):
    client.force_login(world["alice"])
    assert listed(client) == {"alice-images", "alice-campaign"}
    client.force_login(world["bob"])
    assert listed(client) == {"bob-images", "bob-campaign"}


def test_staff_see_everything(client, world):
    client.force_login(User.objects.create_user("staff", is_staff=True))
    assert listed(client) == {
        f"{n}-{kind}" for n in ("alice", "bob", "lab") for kind in ("images", "campaign")
    }


def test_the_visibility_rules_give_an_anonymous_user_nothing(world):
    """An anonymous user's pk is None: the rules must not read it as 'campaigns without an
    owner' (which are staff only)."""
    from django.contrib.auth.models import AnonymousUser

    from api.access import visible_campaigns, visible_datasets

    assert not visible_campaigns(AnonymousUser()).exists()
    assert not visible_datasets(AnonymousUser()).exists()
