"""What the API tests share: a client holding a user's token, and two users' campaigns."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.pipeline.labels_data import CLASSIFY_DEV, build_campaign, reference_records

User = get_user_model()
# The API tests build their campaigns from the published ImageNetMultiLabel records.
API_TEST_MARKS = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CLASSIFY_DEV.is_file(), reason=f"{CLASSIFY_DEV} not found"),
]


def client_for(user) -> APIClient:
    """A client authenticated by a new token of `user`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def make_world() -> dict:
    """Alice's campaign of 6+ reference images (random weights) and Bob's of 2+; the class
    catalogue must be loaded (the `catalogue` fixture)."""
    alice = User.objects.create_user("alice", password="x")
    bob = User.objects.create_user("bob", password="x")
    records = reference_records(6)
    campaign, images = build_campaign("alice-c", records, owner=alice, random_weights=True)
    other, other_images = build_campaign("bob-c", reference_records(2), owner=bob)
    return {
        "alice": alice,
        "bob": bob,
        "campaign": campaign,
        "images": images,
        "records": records,
        "other": other,
        "other_images": other_images,
    }
