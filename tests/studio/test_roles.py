"""Who sees what on the web: a campaign's owner, another researcher, a reviewer, staff and an
anonymous visitor, on the campaign page, the dashboard, the review screens and the API docs;
the researchers' login page and its throttling."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from api.access import REVIEWERS, can_review
from tests.studio.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def get(client, people, who, url):
    if who != "anonymous":
        client.force_login(people[who])
    return client.get(url)


@pytest.mark.parametrize(
    "who, page, dashboard",
    [
        ("owner", 200, 200),
        ("other", 404, 404),
        ("reviewer", 404, 404),
        ("staff", 200, 200),
        ("anonymous", 302, 302),
    ],
)
def test_a_campaign_is_its_owners_and_staffs(client, people, campaign, who, page, dashboard):
    response = get(client, people, who, reverse("studio-campaign", args=[campaign.pk]))
    assert response.status_code == page
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN)
    response = client.get(reverse("dashboard", args=[campaign.pk]))
    assert response.status_code == dashboard
    listed = client.get(reverse("studio-list"))
    index = client.get(reverse("dashboard-index"))
    if who == "anonymous":
        assert listed.status_code == index.status_code == 302
    else:
        mine = who in ("owner", "staff")
        assert (campaign.name in listed.content.decode()) == mine
        assert (campaign.name in index.content.decode()) == mine


@pytest.mark.parametrize(
    "who, status", [("owner", 403), ("reviewer", 200), ("staff", 200), ("anonymous", 302)]
)
def test_the_review_screens_are_for_reviewers_and_staff(client, people, who, status):
    response = get(client, people, who, reverse("review-home"))
    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith(LOGIN)


def test_the_reviewers_group_exists_after_migrating():
    assert Group.objects.filter(name=REVIEWERS).exists()


def test_a_reviewer_is_not_staff_but_reviews(people):
    assert can_review(people["reviewer"]) and not people["reviewer"].is_staff
    assert not can_review(people["owner"])


def test_anonymous_api_docs_send_to_the_login_page(client, people):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=/api/docs/"
    client.force_login(people["owner"])
    assert client.get("/api/docs/").status_code == 200


def test_a_researcher_signs_in_and_out_through_the_login_page(client, people):
    page = client.get(LOGIN)
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    response = client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("studio-list")
    assert client.get(reverse("studio-list")).status_code == 200
    client.post("/accounts/logout/")
    assert client.get(reverse("studio-list")).status_code == 302


def test_a_wrong_password_is_shown_in_the_form_and_throttled(client, people, settings):
    settings.AXES_FAILURE_LIMIT = 3
    first = client.post(LOGIN, {"username": "olga", "password": "wrong"})
    assert first.status_code == 200 and b"correct username and password" in first.content
    for _ in range(2):
        client.post(LOGIN, {"username": "olga", "password": "wrong"})
    locked = client.post(LOGIN, {"username": "olga", "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get(reverse("studio-list")).status_code == 302  # not signed in
