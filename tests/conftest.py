"""Shared fixtures. `make test` runs the suite twice: on PostgreSQL and Redis (DATABASE_URL),
and on the embedded default (SQLite, no broker)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.management import call_command

from catalogue.wordnet_data import DEBIAN_WORDNET, REQUIRED


def wordnet_available() -> bool:
    return all((DEBIAN_WORDNET / name).exists() for name in REQUIRED)


def pytest_collection_modifyitems(config, items):
    """Tests of PostgreSQL's own features run only there; everything else runs on both."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_hit_content():
    """Each test starts without HIT page content or dashboard figures kept by an earlier one
    (a test may change a task's labels between two page views; on SQLite a rolled-back test's
    ids come back in the next one, and with them its cache keys)."""
    caches["hits"].clear()
    caches["default"].clear()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def catalogue_db(django_db_setup, django_db_blocker):
    """The full catalogue, WordNet hierarchy included, loaded once for the session."""
    with django_db_blocker.unblock():
        call_command("load_imagenet_classes", verbosity=0)


@pytest.fixture
def catalogue(catalogue_db, db):
    from catalogue.models import LabelClass

    if not LabelClass.objects.exists():  # a transactional test before this one flushed it
        call_command("load_imagenet_classes", verbosity=0)
    return {c.wnid: c for c in LabelClass.objects.all()}


# Builders shared by the stage, crowd and simulation tests (tests/builders.py).
from tests.builders import make_campaign  # noqa: E402, F401
