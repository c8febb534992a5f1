"""A stage leaves the tables it filled analyzed: the planner sees their real size at once,
not after autovacuum's next pass (stale statistics made the dashboard 15x slower)."""

from __future__ import annotations

import pytest
from django.db import connection

from crowd.models import GridItem
from pipeline.stages.grids import build_grids
from tests.builders import LEMON, ORANGE, SOCCER_BALL, TABBY

pytestmark = pytest.mark.django_db


def planner_rows(model) -> float:
    """The row count the planner works with (pg_class.reltuples: -1 or 0 before any ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def test_a_finished_stage_has_analyzed_what_it_wrote(make_campaign):
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {GridItem._meta.db_table} CASCADE")
        cursor.execute(f"ANALYZE {GridItem._meta.db_table}")
    assert planner_rows(GridItem) <= 0
    campaign = make_campaign([TABBY, SOCCER_BALL, ORANGE, LEMON], 20, grid_size=12)
    build_grids(campaign)
    assert planner_rows(GridItem) == GridItem.objects.count() > 100
