"""Fixtures of the campaign page's tests: a small drawn dataset, researchers, a reviewer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from api.access import REVIEWERS
from catalogue.models import Dataset
from pipeline.models import Campaign
from simulation.demo_dataset import write_demo_images

PASSWORD = "a-long-pass-phrase"


@pytest.fixture
def dataset(catalogue, media_root, tmp_path):
    """The demo's drawn pictures, 2 per class (and the two-object ones), imported."""
    folder = tmp_path / "images"
    write_demo_images(folder, per_class=2, seed=3)
    call_command("import_images", str(folder), "--dataset", "drawn", "--workers", "0", verbosity=0)
    return Dataset.objects.get(name="drawn")


@pytest.fixture
def controls_root(settings, tmp_path):
    """Where the page may read control images from, with 5 more pictures per class."""
    root = tmp_path / "controls"
    write_demo_images(root / "set", per_class=5, seed=4)
    settings.FINELABEL_CONTROLS_ROOT = root
    return root


def user(name: str, **flags):
    return get_user_model().objects.create_user(name, password=PASSWORD, **flags)


@pytest.fixture
def people(db):
    """owner, other (researchers), reviewer (the group's member), staff."""
    reviewer = user("rita")
    reviewer.groups.add(Group.objects.get_or_create(name=REVIEWERS)[0])
    return {
        "owner": user("olga"),
        "other": user("oscar"),
        "reviewer": reviewer,
        "staff": user("sam", is_staff=True),
    }


@pytest.fixture
def campaign(dataset, people):
    return Campaign.objects.create(
        name="drawn-1", dataset=dataset, ensemble="tiny", owner=people["owner"]
    )
