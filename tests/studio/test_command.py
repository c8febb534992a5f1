"""`manage.py campaign`: the page's actions as a command, with one-line errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crowd.models import ContainsGrid
from pipeline.models import Campaign

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


def test_the_whole_path_as_commands(dataset, people, controls_root):
    assert "Created campaign" in run(
        "create", "--name", "cli", "--dataset", "drawn", "--ensemble", "tiny", "--owner", "olga"
    )
    campaign = Campaign.objects.get(name="cli")
    assert campaign.owner == people["owner"]
    assert "MTurk fee (20%)" in run("cost", "--campaign", "cli")
    before = run("status", "--campaign", "cli")
    assert "Lifecycle: draft" in before and "Control coverage:" in before
    assert "imported" in run("add-controls", "--campaign", "cli", str(controls_root / "set"))
    started = run("start", "--campaign", "cli", "--random-weights")
    assert "invite_links" in started and ContainsGrid.objects.filter(campaign=campaign).exists()
    with pytest.raises(CommandError, match="has its grids already"):
        run("add-controls", "--campaign", "cli", str(controls_root / "set"))
    assert "Paused" in run("pause", "--campaign", "cli")
    assert "Lifecycle: paused" in run("status", "--campaign", "cli")
    with pytest.raises(CommandError, match="paused: resume it first"):
        run("start", "--campaign", "cli")
    assert "Resumed" in run("resume", "--campaign", "cli")
    assert "Closed" in run("close", "--campaign", "cli")
    with pytest.raises(CommandError, match="closed"):
        run("add-controls", "--campaign", "cli", str(controls_root / "set"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--ensemble", "nosuchensemble"], "ensemble: Unknown model ensemble 'nosuchensemble'"),
        (["--crowd", "sandbox"], "mturk_budget: Set the most"),
        (["--contains-reward", "lots"], "Not an amount"),
        (["--owner", "nobody"], "No user named 'nobody'"),
    ],
)
def test_bad_input_is_one_line(dataset, people, args, words):
    with pytest.raises(CommandError, match=words):
        run("create", "--name", "bad", "--dataset", "drawn", *args)
    assert not Campaign.objects.filter(name="bad").exists()


def test_an_unknown_campaign_is_one_line(db):
    with pytest.raises(CommandError, match="No campaign with id or name"):
        run("status", "--campaign", "nope")
