"""MTurk fixtures: a real boto3 mturk client under botocore's Stubber (so every call is checked
against MTurk's service model), and a campaign with grids and CLASSIFY tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber

from catalogue.models import Dataset, Image
from crowd.models import ClassifyTask, ContainsGrid
from crowd.mturk import client as client_module
from crowd.mturk import gateway as gateway_module
from crowd.mturk.gateway import MTurk
from pipeline.models import Campaign

# A name that resolves without DNS: publishing checks that the public host resolves.
PUBLIC_URL = "https://localhost"
CREATED = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def mturk_env(monkeypatch, settings):
    """Dummy credentials (the Stubber answers before anything is signed or sent), sandbox."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.FINELABEL_MTURK_LIVE = False
    settings.FINELABEL_PUBLIC_URL = PUBLIC_URL


def stubbed_client(monkeypatch) -> Stubber:
    """One real mturk client, made by the project's factory in the current mode, with a
    Stubber on it; every gateway made during the test uses it."""
    client = client_module.make_client()
    stubber = Stubber(client)
    stubber.activate()
    monkeypatch.setattr(gateway_module, "make_client", lambda **kwargs: client)
    return stubber


@pytest.fixture
def stub(monkeypatch):
    """The test fails if an expected call was not made."""
    stubber = stubbed_client(monkeypatch)
    yield stubber
    stubber.assert_no_pending_responses()


@pytest.fixture
def live(settings):
    settings.FINELABEL_MTURK_LIVE = True


@pytest.fixture
def live_stub(live, monkeypatch):
    stubber = stubbed_client(monkeypatch)
    yield stubber
    stubber.assert_no_pending_responses()


@pytest.fixture
def mturk(stub):
    sleeps: list[float] = []
    gateway = MTurk(sleep=sleeps.append)
    gateway.sleeps = sleeps
    return gateway


@pytest.fixture
def campaign(catalogue):
    tench, goldfish = catalogue["n01440764"], catalogue["n01443537"]
    dataset = Dataset.objects.create(name="mturk-test")
    images = [
        Image.objects.create(
            dataset=dataset,
            source=f"/src/{i}.jpg",
            label=tench,
            storage_key=f"k/{i}",
            thumbnail_key=f"t/{i}",
            sha256=f"{i:064d}",
            width=10,
            height=10,
            file_size=1,
        )
        for i in range(3)
    ]
    campaign = Campaign.objects.create(name="imagenet-v2", dataset=dataset)
    for n, query in enumerate([tench, goldfish], start=1):
        ContainsGrid.objects.create(
            campaign=campaign, number=n, query=query, public_id=f"grid{n}pub"
        )
    for i, image in enumerate(images):
        ClassifyTask.objects.create(campaign=campaign, image=image, public_id=f"task{i}pub")
    return campaign


def hit_response(hit_id: str, token: str, *, max_assignments=9, reward="0.20", **extra) -> dict:
    """A HIT as MTurk returns it."""
    hit = {
        "HITId": hit_id,
        "HITTypeId": "TYPE1",
        "CreationTime": CREATED,
        "HITStatus": "Assignable",
        "MaxAssignments": max_assignments,
        "Reward": reward,
        "Expiration": CREATED + timedelta(days=7),
        "RequesterAnnotation": token,
    }
    hit.update(extra)
    return hit
