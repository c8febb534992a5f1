"""Fixtures of the crowd tests: a grid and a CLASSIFY task, each published on an MTurk HIT."""

import pytest

from tests.crowd.factories import make_campaign, make_classify_task, make_grid, publish


@pytest.fixture
def grid():
    grid = make_grid(make_campaign())
    publish(grid, "H1")
    return grid


@pytest.fixture
def task():
    task = make_classify_task(make_campaign())
    publish(task, "HT1")
    return task
