"""Failed logins are throttled (django-axes): after FINELABEL_LOGIN_FAILURE_LIMIT wrong
passwords, from one address or for one account, even the right password is refused (429) until
the cool-off ends. The admin's login (which the dashboard and review screens use) and the API's
/api/token/ count together."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def researcher(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return User.objects.create_user("researcher", password="right-horse-battery", is_staff=True)


def admin_login(client: Client, password: str, username: str = "researcher"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def token(client: APIClient, password: str, username: str = "researcher"):
    return client.post("/api/token/", {"username": username, "password": password})


def test_admin_login_is_locked_after_repeated_failures(researcher):
    client = Client()
    for _ in range(4):
        assert admin_login(client, "guess").status_code == 200  # the form again, with an error
    assert admin_login(client, "guess").status_code == 429  # the fifth failure locks
    response = admin_login(client, "right-horse-battery")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_right_password_before_the_limit_signs_in(researcher):
    client = Client()
    for _ in range(3):
        admin_login(client, "guess")
    assert admin_login(client, "right-horse-battery").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_api_token_is_locked_after_repeated_failures(researcher):
    api = APIClient()
    for _ in range(4):
        response = token(api, "guess")
        assert response.status_code == 400
    assert token(api, "guess").status_code == 429
    response = token(api, "right-horse-battery")
    assert response.status_code == 429 and "token" not in response.json()
    assert "too many failed logins" in response.json()["error"].lower()


def test_admin_and_api_failures_count_together(researcher):
    api, client = APIClient(), Client()
    for _ in range(3):
        token(api, "guess")
    admin_login(client, "guess")
    admin_login(client, "guess")
    assert token(api, "right-horse-battery").status_code == 429


def test_an_account_under_attack_from_many_addresses_is_locked(researcher):
    for n in range(5):
        admin_login(Client(REMOTE_ADDR=f"203.0.113.{n}"), "guess")
    fresh = Client(REMOTE_ADDR="198.51.100.7")
    assert admin_login(fresh, "right-horse-battery").status_code == 429


def test_others_are_not_locked_out_and_the_lock_ends_after_the_cool_off(researcher, settings):
    User.objects.create_user("colleague", password="another-good-one", is_staff=True)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        admin_login(attacker, "guess")
    colleague = Client(REMOTE_ADDR="198.51.100.8")
    assert admin_login(colleague, "another-good-one", "colleague").status_code == 302
    settings.AXES_COOLOFF_TIME = timedelta(milliseconds=1)
    time.sleep(0.01)
    assert admin_login(Client(REMOTE_ADDR="198.51.100.9"), "right-horse-battery").status_code == 302


def test_logins_that_are_not_over_http_are_not_throttled(researcher):
    """The test client's login(), a shell: no request, no address to count against."""
    assert Client().login(username="researcher", password="right-horse-battery")


def test_behind_the_proxy_the_client_is_the_address_the_proxy_saw(rf, settings):
    from core.auth import client_ip

    request = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.4")
    settings.FINELABEL_PRODUCTION = False
    assert client_ip(request) == "172.18.0.5"  # no proxy: a client's own header is not trusted
    settings.FINELABEL_PRODUCTION = True
    assert client_ip(request) == "203.0.113.4"  # what the proxy appended, not what came to it
    assert client_ip(rf.get("/", REMOTE_ADDR="172.18.0.5")) == "172.18.0.5"
