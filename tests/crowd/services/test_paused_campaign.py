"""A paused or closed campaign (studio.lifecycle) takes no answers: its HIT pages say why and
its submits are refused with nothing stored, on the ORM path (SQLite) and the one-statement
path (PostgreSQL); once resumed, answers are taken again. Their HITs leave the market and come
back meanwhile (crowd.mturk.market, under botocore's Stubber here)."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from crowd.models import ClassifyAnswer, ContainsAnswer
from crowd.services.invites import invite_link
from studio import lifecycle
from tests.crowd.hits.helpers import mturk_query, page_config, page_url, post_json
from tests.crowd.mturk.conftest import mturk_env, stubbed_client  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(monkeypatch):
    stub = stubbed_client(monkeypatch)
    yield stub
    stub.assert_no_pending_responses()


def expect_expiry(market, *hits: str) -> None:
    for hit in hits:
        market.add_response("update_expiration_for_hit", {}, {"HITId": hit, "ExpireAt": ANY})


def open_grid(client, grid, **ids):
    return page_config(client, page_url("contains", grid.public_id, **mturk_query(**ids)))


def submit(client, config) -> tuple[int, dict]:
    return post_json(client, config["submit_url"], {"token": config["token"], "positions": [1]})


def test_a_paused_campaign_refuses_answers_until_resumed(client, grid, market):
    config = open_grid(client, grid, assignment="A1", worker="W1", hit="H1")  # opened before
    expect_expiry(market, "H1")
    lifecycle.pause(grid.campaign)
    status, result = submit(client, config)
    assert status == 409 and result["code"] == "paused" and "paused" in result["error"]
    local = page_config(client, invite_link("contains", grid.public_id, "ann"))
    assert local["mode"] == "closed" and "paused" in local["reason"]
    assert not ContainsAnswer.objects.exists()
    expect_expiry(market, "H1")
    lifecycle.resume(grid.campaign)
    assert submit(client, config)[0] == 201
    local = page_config(client, invite_link("contains", grid.public_id, "ann"))
    assert local["mode"] == "local"


def test_a_closed_campaign_refuses_answers_for_good(client, grid, task, market):
    config = open_grid(client, grid, assignment="A1", worker="W1", hit="H1")
    expect_expiry(market, "H1", "HT1")
    lifecycle.close(grid.campaign)
    lifecycle.close(task.campaign)
    status, result = submit(client, config)
    assert status == 409 and result["code"] == "closed" and "closed" in result["error"]
    page = page_config(client, invite_link("classify", task.public_id, "ann"))
    assert page["mode"] == "closed" and "closed" in page["reason"]
    with pytest.raises(lifecycle.CampaignRefused):
        lifecycle.resume(grid.campaign)
    assert not ContainsAnswer.objects.exists() and not ClassifyAnswer.objects.exists()
