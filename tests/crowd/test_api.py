"""The crowd's API (crowd.api): workers' answers and control accuracy, per campaign, seen
only by the owners of the campaigns they worked on."""

from __future__ import annotations

import pytest

from crowd.models import (
    Assignment,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Worker,
)
from tests.api.helpers import API_TEST_MARKS, client_for, make_world

pytestmark = API_TEST_MARKS


@pytest.fixture
def world(catalogue):
    return make_world()


def test_workers_answers_and_control_accuracy(world):
    campaign = world["campaign"]
    images = world["images"]
    keen = Worker.objects.create(external_id="KEEN")
    idle = Worker.objects.create(external_id="IDLE")
    query = images[0].label
    # Two grids with 3 controls each; KEEN selects 3 then 1 of them: 4/6.
    for number, chosen in ((1, 3), (2, 1)):
        grid = ContainsGrid.objects.create(
            campaign=campaign, number=number, query=query, public_id=f"g{number}"
        )
        items = [
            GridItem.objects.create(grid=grid, position=p, image=img, is_control=p < 3)
            for p, img in enumerate(images[:5])
        ]
        assignment = Assignment.objects.create(
            campaign=campaign, kind="contains", grid=grid, worker=keen
        )
        answer = ContainsAnswer.objects.create(assignment=assignment, grid=grid, worker=keen)
        for item in items[:chosen] + items[3:]:  # controls chosen, plus non-controls
            ContainsSelection.objects.create(answer=answer, item=item)
    Assignment.objects.create(campaign=campaign, kind="contains", grid=grid, worker=idle)
    results = client_for(world["alice"]).get(f"/api/workers/?campaign={campaign.pk}").json()
    by_id = {w["external_id"]: w for w in results["results"]}
    assert by_id["KEEN"]["contains_answers"] == 2
    assert by_id["KEEN"]["controls_shown"] == 6 and by_id["KEEN"]["controls_selected"] == 4
    assert by_id["KEEN"]["control_accuracy"] == pytest.approx(4 / 6)
    assert by_id["IDLE"]["control_accuracy"] is None
    # Bob sees neither: they worked on Alice's campaign only.
    assert client_for(world["bob"]).get("/api/workers/").json()["count"] == 0
