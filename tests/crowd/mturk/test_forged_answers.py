"""Answers given through MTurk's URL parameters by anyone who writes them, replayed through the
real HIT pages and submit endpoints against a campaign the simulated crowd answers: they are
stored pending, MTurk (botocore's Stubber) never lists them, and they change no quality
control count, no selection frequency, and nobody's standing."""

from __future__ import annotations

import pytest

from crowd.models import Assignment, ContainsAnswer, ContainsGrid, Verification
from crowd.mturk.review import workers_failing_qc
from crowd.mturk.sync import sync_campaign
from pipeline.models import SelectionFrequency
from pipeline.stages import contains_qc, selection_frequencies
from pipeline.stages.grids import build_grids
from simulation.http_crowd import crowd_contains
from tests.builders import LEMON, ORANGE, TABBY
from tests.crowd.factories import publish
from tests.crowd.hits.helpers import mturk_query, page_config, page_url, post_json
from tests.crowd.mturk.test_sync_review import LIST, get_hit, mturk_assignment

pytestmark = pytest.mark.django_db


def published_campaign(make_campaign):
    campaign = make_campaign([ORANGE, LEMON, TABBY], 20, extra=2)
    build_grids(campaign)
    grids = list(ContainsGrid.objects.filter(campaign=campaign).order_by("pk"))
    for grid in grids:
        publish(grid, f"HIT{grid.number}")
    return campaign, grids


def submit_as(client, grid, assignment: str, worker: str, positions: list[int]) -> tuple:
    query = mturk_query(assignment, worker, f"HIT{grid.number}")
    config = page_config(client, page_url("contains", grid.public_id, **query))
    if not config["can_submit"]:
        return 409, {"error": config["reason"]}
    return post_json(
        client, config["submit_url"], {"token": config["token"], "positions": positions}
    )


def mturk_lists(stub, grids, listed: dict[str, list[dict]] | None = None) -> None:
    """MTurk's answers to one sync of every HIT: closed, nothing pending, and listing only
    `listed[hit id]`."""
    for grid in grids:
        hit_id = f"HIT{grid.number}"
        get_hit(stub, hit_id, status="Reviewable")
        assignments = (listed or {}).get(hit_id, [])
        stub.add_response(
            "list_assignments_for_hit", {"Assignments": assignments}, {**LIST, "HITId": hit_id}
        )


def figures(campaign) -> tuple[dict, list]:
    """What quality control and the selection frequencies make of the campaign's answers."""
    qc = contains_qc.run_qc(campaign)
    selection_frequencies.compute_frequencies(campaign)
    rows = SelectionFrequency.objects.filter(campaign=campaign).order_by("image_id", "label_id")
    return (
        {"answers": qc.answers, **qc.by_status},
        list(rows.values_list("image_id", "label_id", "selected", "answers")),
    )


def test_invented_workers_move_no_frequency_and_no_qc_count(make_campaign, client, stub, mturk):
    """30 invented workers select an orange grid's recurring pictures (its controls) and one
    picture that is no orange, before the crowd answers. Their answers are stored pending and
    never counted: quality control and the frequencies come out exactly as without them."""
    campaign, grids = published_campaign(make_campaign)
    target = next(g for g in grids if g.query.wnid == ORANGE)
    items = list(target.items.select_related("image__label"))
    controls = [i.position for i in items if i.is_control]
    wrong = next(i for i in items if not i.is_control and i.image.label.wnid != ORANGE)
    for n in range(30):
        status, _ = submit_as(client, target, f"FAKE{n}", f"FAKEW{n}", controls + [wrong.position])
        assert status == 201
    forged = ContainsAnswer.objects.filter(worker__external_id__startswith="FAKEW")
    assert forged.count() == 30
    assert set(forged.values_list("verification", flat=True)) == {Verification.PENDING}

    # The crowd answers (signed invites: they count at once); pending answers fill nothing.
    crowd_contains(campaign, seed=4)
    assert ContainsAnswer.objects.filter(verification=Verification.CONFIRMED).count() == (
        len(grids) * campaign.contains_assignments
    )
    # MTurk lists none of the invented assignments: they are marked as never counting.
    mturk_lists(stub, grids)
    report = sync_campaign(mturk, campaign)
    assert len(report.unconfirmed) == 30 and report.confirmed == 0
    assert set(forged.values_list("verification", flat=True)) == {Verification.UNCONFIRMED}

    attacked = figures(campaign)
    assert set(forged.values_list("qc_status", flat=True)) == {"pending"}  # never judged
    Assignment.objects.filter(worker__external_id__startswith="FAKEW").delete()
    assert figures(campaign) == attacked
    frequency = SelectionFrequency.objects.get(
        campaign=campaign, image=wrong.image, label=target.query
    )
    assert frequency.answers <= campaign.contains_assignments  # the crowd's kept answers only


def test_the_real_worker_answers_after_someone_used_their_id_and_only_theirs_counts(
    make_campaign, client, stub, mturk
):
    """Someone answers first as worker W1, under an invented assignment and under W1's real
    assignment with another worker id; W1's own answer is stored all the same, and the sync
    confirms it alone. Junk given under W1's id on every other grid does not get W1 dropped."""
    campaign, grids = published_campaign(make_campaign)
    grid, others = grids[0], grids[1:]
    controls = [i.position for i in grid.items.filter(is_control=True)]
    assert submit_as(client, grid, "FAKE1", "W1", [])[0] == 201
    assert submit_as(client, grid, "A1", "W7", [])[0] == 201
    status, result = submit_as(client, grid, "A1", "W1", controls)
    assert status == 201 and not result["repeat"]
    real = ContainsAnswer.objects.get(pk=result["answer"])
    for n, other in enumerate(others):  # junk under W1's id: no control selected
        submit_as(client, other, f"JUNK{n}", "W1", [])
    crowd_contains(campaign, seed=4)

    hit_id = f"HIT{grid.number}"
    listed = {hit_id: [mturk_assignment("A1", "W1", hit_id=hit_id, answer_id=real.pk)]}
    mturk_lists(stub, grids, listed)
    sync_campaign(mturk, campaign)
    counted = ContainsAnswer.objects.filter(worker__source="mturk", verification="confirmed")
    assert list(counted) == [real]
    contains_qc.run_qc(campaign)
    real.refresh_from_db()
    assert real.qc_status == "kept"
    assert "W1" not in workers_failing_qc(campaign)
