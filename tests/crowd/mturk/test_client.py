"""Safe by default: the sandbox unless live mode is configured, and live actions only after a
confirmation; secrets never reach the call log."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from crowd.models import Hit, MTurkCall
from crowd.mturk.client import (
    LIVE_ENDPOINT,
    SANDBOX_ENDPOINT,
    LiveNotConfirmed,
    confirm_live,
    make_client,
)
from crowd.mturk.gateway import MTurk, redact
from tests.crowd.mturk.conftest import hit_response

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """Someone at a terminal, about to type `text`."""

    def isatty(self) -> bool:
        return True


def test_sandbox_is_the_default():
    client = make_client()
    assert client.meta.endpoint_url == SANDBOX_ENDPOINT
    assert client.meta.region_name == "us-east-1"
    assert MTurk(client).sandbox


def test_live_needs_the_setting(settings):
    with pytest.raises(ImproperlyConfigured, match="FINELABEL_MTURK_LIVE"):
        make_client(live=True)
    settings.FINELABEL_MTURK_LIVE = True
    client = make_client()
    assert client.meta.endpoint_url == LIVE_ENDPOINT
    assert not MTurk(client).sandbox


def test_confirmation_rules(settings):
    out = io.StringIO()
    confirm_live("c1", flag=False, stdin=io.StringIO(), stdout=out)  # sandbox: nothing asked
    assert out.getvalue() == ""
    settings.FINELABEL_MTURK_LIVE = True
    with pytest.raises(LiveNotConfirmed, match="No terminal"):
        confirm_live("c1", flag=False, stdin=io.StringIO("c1\n"), stdout=out)
    with pytest.raises(LiveNotConfirmed, match="not typed"):
        confirm_live("c1", flag=False, stdin=Terminal("c2\n"), stdout=out)
    confirm_live("c1", flag=False, stdin=Terminal("c1\n"), stdout=out)
    assert "Type the campaign name (c1)" in out.getvalue()
    confirm_live("c1", flag=True, stdin=io.StringIO(), stdout=out)


def publish_live(campaign, *extra, stdin=None) -> str:
    out = io.StringIO()
    call_command(
        "mturk",
        "publish",
        "--campaign",
        str(campaign.pk),
        "--stage",
        "classify",
        "--limit",
        "1",
        *extra,
        stdout=out,
        stderr=io.StringIO(),
        stdin=stdin or io.StringIO(),
    )
    return out.getvalue()


@pytest.fixture
def budgeted(campaign):
    campaign.mturk_budget = 100
    campaign.save()
    return campaign


def expect_live_publish(stub):
    stub.add_response("get_account_balance", {"AvailableBalance": "50.00"}, {})
    stub.add_response("create_hit_type", {"HITTypeId": "TYPE1"}, None)
    stub.add_response(
        "create_hit_with_hit_type",
        {"HIT": hit_response("LIVEHIT", "classify-task0pub", reward="0.08")},
        None,
    )


def test_live_command_refuses_without_a_terminal_or_the_flag(budgeted, live_stub):
    with pytest.raises(CommandError, match="--i-understand-this-spends-money"):
        publish_live(budgeted)
    with pytest.raises(CommandError, match="not typed"):
        publish_live(budgeted, stdin=Terminal("wrong name\n"))
    assert not MTurkCall.objects.exists() and not Hit.objects.exists()


def test_live_command_goes_on_when_the_name_is_typed(budgeted, live_stub):
    expect_live_publish(live_stub)
    out = publish_live(budgeted, stdin=Terminal("imagenet-v2\n"))
    assert "(LIVE)" in out and "Published 1 HITs" in out
    hit = Hit.objects.get()
    assert not hit.sandbox and hit.hit_id == "LIVEHIT"
    assert not MTurkCall.objects.filter(sandbox=True).exists()


def test_live_command_goes_on_with_the_flag(budgeted, live_stub):
    expect_live_publish(live_stub)
    publish_live(budgeted, "--i-understand-this-spends-money")
    assert Hit.objects.get().hit_id == "LIVEHIT"


def test_secrets_are_masked_in_the_log():
    params = {"WorkerId": "W1", "AWSSecretAccessKey": "s", "Nested": [{"Password": "p"}]}
    assert redact(params) == {
        "WorkerId": "W1",
        "AWSSecretAccessKey": "***",
        "Nested": [{"Password": "***"}],
    }
