"""The boto3 `mturk` client: the sandbox unless live mode is both configured and confirmed."""

from __future__ import annotations

from typing import TextIO

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.errors import FinelabelError

REGION = "us-east-1"  # MTurk's only region
SANDBOX_ENDPOINT = "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
LIVE_ENDPOINT = "https://mturk-requester.us-east-1.amazonaws.com"
SANDBOX_WORKER_URL = "https://workersandbox.mturk.com"
LIVE_WORKER_URL = "https://www.mturk.com"
CONFIRM_FLAG = "--i-understand-this-spends-money"


class LiveNotConfirmed(FinelabelError):
    """Live mode was asked for without the confirmation it needs."""


def live_mode() -> bool:
    """Live only when FINELABEL_MTURK_LIVE is set; everything else runs in the sandbox."""
    return bool(getattr(settings, "FINELABEL_MTURK_LIVE", False))


def make_client(*, live: bool | None = None) -> BaseClient:
    """A boto3 mturk client on the sandbox, or on the live market when live mode is set.

    botocore's own retries are off: `gateway.MTurk.call` retries, so that each attempt is logged.
    Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID, profiles, roles)."""
    if live is None:
        live = live_mode()
    if live and not live_mode():
        raise ImproperlyConfigured("Live MTurk needs FINELABEL_MTURK_LIVE=1 in the environment.")
    return boto3.session.Session().client(
        "mturk",
        region_name=REGION,
        endpoint_url=LIVE_ENDPOINT if live else SANDBOX_ENDPOINT,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def is_sandbox(client: BaseClient) -> bool:
    return client.meta.endpoint_url.rstrip("/") != LIVE_ENDPOINT


def confirm_live(campaign_name: str, *, flag: bool, stdin: TextIO, stdout: TextIO) -> None:
    """In live mode, go on only with the explicit flag, or when a person at a terminal types
    the campaign's name. Without a terminal and without the flag: refuse."""
    if not live_mode() or flag:
        return
    if not stdin.isatty():
        raise LiveNotConfirmed(
            "FINELABEL_MTURK_LIVE is set: this spends real money. No terminal to confirm on; "
            f"pass {CONFIRM_FLAG} to go on."
        )
    stdout.write(
        "LIVE Mechanical Turk: this spends real money and reaches real workers.\n"
        f"Type the campaign name ({campaign_name}) to go on: "
    )
    stdout.flush()
    answer = stdin.readline().strip()
    if answer != campaign_name:
        raise LiveNotConfirmed("Campaign name not typed: nothing done.")
