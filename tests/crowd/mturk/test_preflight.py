"""What the mturk command says before money or workers are involved: missing credentials or
an unreachable endpoint in one line, local answers already on the grids, a projected total
over the budget, and the public address checked at start (`check --deploy`)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from crowd.models import Assignment, ContainsAnswer, MTurkCall, Worker
from crowd.mturk import client as client_module
from crowd.public_url import public_url_check
from tests.helpers import free_port

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("mturk", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def no_credentials(monkeypatch):
    """boto3's whole chain finds nothing: no variables, files, profile or instance role."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize(
    "args",
    [
        ["balance"],
        ["create-qualifications", "--campaign", "imagenet-v2"],
        ["publish", "--campaign", "imagenet-v2", "--stage", "contains"],
    ],
    ids=["balance", "create-qualifications", "publish"],
)
def test_without_credentials_the_command_says_what_to_set(campaign, no_credentials, args):
    with pytest.raises(CommandError) as error:
        run(*args)
    message = str(error.value)
    assert "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in message and "\n" not in message
    assert MTurkCall.objects.get().error_code == "NoCredentials"  # the one attempt, logged


def test_unreachable_endpoint_is_one_line(monkeypatch):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setattr(client_module, "SANDBOX_ENDPOINT", endpoint)
    with pytest.raises(CommandError) as error:
        run("balance")
    assert str(error.value) == (
        f"Cannot reach Mechanical Turk at {endpoint} (GetAccountBalance): check the network "
        "(or HTTPS_PROXY)."
    )


def local_answer(grid, handle: str) -> ContainsAnswer:
    worker = Worker.objects.create(source=Worker.Source.LOCAL, external_id=handle)
    assignment = Assignment.objects.create(
        campaign=grid.campaign, kind="contains", grid=grid, worker=worker
    )
    return ContainsAnswer.objects.create(assignment=assignment, grid=grid, worker=worker)


def test_dry_run_warns_that_grids_hold_local_answers(campaign, stub):
    args = ("publish", "--campaign", str(campaign.pk), "--stage", "contains", "--dry-run")
    assert "Warning" not in run(*args)
    grid = campaign.grids.order_by("number").first()
    local_answer(grid, "alice")
    local_answer(grid, "bob")
    out = run(*args)
    assert "1 CONTAINS tasks of this campaign already hold 2 answers from the local" in out
    assert "Dry run: nothing published." in out
    classify = ("publish", "--campaign", str(campaign.pk), "--stage", "classify", "--dry-run")
    assert "Warning" not in run(*classify)


def test_summary_warns_when_the_projected_total_exceeds_the_budget(campaign):
    campaign.mturk_budget = Decimal("100.00")
    campaign.save()
    assert "Warning" not in run("summary", "--campaign", str(campaign.pk))
    campaign.mturk_budget = Decimal("1.00")
    campaign.save()
    out = run("summary", "--campaign", str(campaign.pk))
    projected = next(line for line in out.splitlines() if line.startswith("Projected total"))
    total = Decimal(projected.split("$")[1])
    assert f"Warning: the projected total exceeds the budget by ${total - 1:.2f}" in out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", None),
        ("https://localhost", None),
        ("http://localhost", "https://"),
        ("https://nowhere.invalid/", "does not resolve"),
    ],
)
def test_deploy_check_of_the_public_url(settings, url, says):
    settings.FINELABEL_PUBLIC_URL = url
    errors = public_url_check()
    if says is None:
        assert errors == []
    else:
        assert [e.id for e in errors] == ["crowd.E001"] and says in errors[0].msg


def test_check_deploy_runs_the_public_url_check(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FINELABEL_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FINELABEL_PUBLIC_URL": "http://labels.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "crowd.E001" in result.stderr
