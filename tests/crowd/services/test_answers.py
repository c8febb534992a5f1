"""Submitting answers through the HIT endpoints: what is stored, what is refused (a 4xx with a
clear message and nothing stored), repeats, and whose answers count (MTurk's wait for the
sync, invites' count at once)."""

from __future__ import annotations

import pytest

from crowd.hits.access import page_token
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ContainsAnswer,
    ContainsSelection,
    Verification,
    Worker,
)
from crowd.services.invites import invite_link
from crowd.services.submission_input import Submitter
from pipeline.models import Campaign
from tests.crowd.factories import make_campaign, make_grid, publish
from tests.crowd.hits.helpers import mturk_query, nothing_stored, page_config, page_url, post_json

pytestmark = pytest.mark.django_db


def open_grid(client, grid, **ids):
    return page_config(client, page_url("contains", grid.public_id, **mturk_query(**ids)))


def test_contains_answer_is_stored_with_its_selection_and_time(client, grid):
    config = open_grid(client, grid, assignment="A1", worker="W1", hit="H1")
    status, result = post_json(
        client,
        config["submit_url"],
        {"token": config["token"], "positions": [0, 7, 47], "duration_ms": 5400},
    )
    assert status == 201 and result["stored"] and not result["repeat"]
    answer = ContainsAnswer.objects.get(pk=result["answer"])
    assert sorted(answer.selections.values_list("item__position", flat=True)) == [0, 7, 47]
    assert answer.duration_ms == 5400 and answer.grid == grid
    assert (answer.worker.source, answer.worker.external_id) == ("mturk", "W1")
    assignment = answer.assignment
    assert (assignment.external_id, assignment.hit_id, assignment.kind) == ("A1", "H1", "contains")
    assert assignment.status == "submitted" and assignment.submitted_at is not None
    assert assignment.campaign_id == grid.campaign_id
    # MTurk's parameters are not signed: the answer waits for the sync to confirm it.
    assert answer.verification == Verification.PENDING


def test_an_empty_selection_is_a_valid_answer(client, grid):
    config = open_grid(client, grid)
    status, _ = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [], "duration_ms": 10}
    )
    assert status == 201
    assert ContainsSelection.objects.count() == 0 and ContainsAnswer.objects.count() == 1


def test_the_same_assignment_twice_stores_one_answer_and_returns_the_first(client, grid):
    config = open_grid(client, grid)
    first = post_json(
        client,
        config["submit_url"],
        {"token": config["token"], "positions": [1, 2], "duration_ms": 900},
    )
    again = post_json(
        client,
        config["submit_url"],
        {"token": config["token"], "positions": [3], "duration_ms": 1900},
    )
    assert first[0] == 201 and again[0] == 200
    assert again[1]["repeat"] and again[1]["answer"] == first[1]["answer"]
    assert ContainsAnswer.objects.count() == 1 and Assignment.objects.count() == 1
    answer = ContainsAnswer.objects.get()
    assert sorted(answer.selections.values_list("item__position", flat=True)) == [1, 2]
    assert answer.duration_ms == 900


def test_a_worker_answering_the_same_grid_under_another_assignment_is_refused(client, grid):
    first = open_grid(client, grid, assignment="A1", worker="W1")
    post_json(client, first["submit_url"], {"token": first["token"], "positions": [1]})
    ContainsAnswer.objects.update(verification=Verification.CONFIRMED)  # as the sync does
    second = open_grid(client, grid, assignment="A2", worker="W1")
    status, result = post_json(
        client, second["submit_url"], {"token": second["token"], "positions": [2]}
    )
    assert status == 400 and "already answered" in result["error"]
    assert result["code"] == "already_answered"
    assert ContainsAnswer.objects.count() == 1
    assert not Assignment.objects.filter(external_id="A2").exists()
    # Another worker on the same grid is welcome.
    third = open_grid(client, grid, assignment="A3", worker="W2")
    assert (
        post_json(client, third["submit_url"], {"token": third["token"], "positions": []})[0] == 201
    )


def test_an_answer_given_first_under_a_real_workers_id_does_not_lock_the_real_one_out(client, grid):
    """Someone answers first as worker W1, under an invented assignment (A9) and under W1's
    real one with another worker id: W1's own answer is still stored, beside them, all
    pending; the sync keeps the one MTurk lists (tests/crowd/mturk/test_sync_review.py)."""
    for assignment, worker in (("A9", "W1"), ("A1", "W7")):
        forged = open_grid(client, grid, assignment=assignment, worker=worker)
        body = {"token": forged["token"], "positions": [1, 2, 3]}
        assert post_json(client, forged["submit_url"], body)[0] == 201
    real = open_grid(client, grid, assignment="A1", worker="W1")
    status, result = post_json(
        client, real["submit_url"], {"token": real["token"], "positions": [4]}
    )
    assert status == 201 and not result["repeat"]
    answer = ContainsAnswer.objects.get(pk=result["answer"])
    assert (answer.assignment.external_id, answer.worker.external_id) == ("A1", "W1")
    assert list(answer.selections.values_list("item__position", flat=True)) == [4]
    assert set(ContainsAnswer.objects.values_list("verification", flat=True)) == {"pending"}
    assert ContainsAnswer.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"positions": [48]}, "not in this grid"),
        ({"positions": [0, 99, 100]}, "[99, 100]"),
        ({"positions": [-1]}, "non-negative integer"),
        ({"positions": ["3"]}, "non-negative integer"),
        ({"positions": [True]}, "non-negative integer"),
        ({"positions": [1.5]}, "non-negative integer"),
        ({"positions": [2, 2]}, "twice"),
        ({"positions": "1,2"}, "must be a list"),
        ({}, "must be a list"),
        ({"positions": [1], "duration_ms": -5}, "time on task"),
        ({"positions": [1], "duration_ms": "12"}, "time on task"),
        ({"positions": [1], "duration_ms": 10**12}, "time on task"),
    ],
)
def test_bad_contains_answers_are_refused_and_store_nothing(client, grid, body, words):
    config = open_grid(client, grid)
    status, result = post_json(client, config["submit_url"], {"token": config["token"], **body})
    assert status == 400 and words in result["error"]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("not json", "JSON object"),
        ("[1, 2]", "JSON object"),
        (b"\xff\xfe", "JSON object"),
        ('{"positions": [1]}', "token is missing"),
        ('{"positions": [1], "token": "forged:token"}', "not valid"),
        ('{"positions": [1], "token": 12}', "token is missing"),
    ],
)
def test_malformed_bodies_and_tokens_are_refused(client, grid, raw, words):
    url = page_url("contains", grid.public_id).rstrip("/") + "/submit"
    response = client.post(url, raw, content_type="application/json")
    assert response.status_code == 400 and words in response.json()["error"]
    assert nothing_stored()


def test_a_token_for_another_grid_or_an_unknown_grid_is_refused(client, grid):
    other = make_grid(grid.campaign)
    publish(other, "H2")
    config = open_grid(client, other, hit="H2")
    status, result = post_json(
        client,
        page_url("contains", grid.public_id) + "submit",
        {"token": config["token"], "positions": [1]},
    )
    assert status == 400 and "another task" in result["error"]
    ghost = page_token("contains", "no-such-grid", Submitter("W1", "A1"))
    status, result = post_json(
        client,
        page_url("contains", "no-such-grid") + "submit",
        {"token": ghost, "positions": [1]},
    )
    assert status == 400 and result["error"] == "Unknown grid."
    assert client.get(page_url("contains", "no-such-grid")).status_code == 404
    assert nothing_stored()


def test_a_grids_members_are_kept_between_submits(client, grid, django_assert_max_num_queries):
    first = open_grid(client, grid, assignment="A1", worker="W1")
    status, _ = post_json(client, first["submit_url"], {"token": first["token"], "positions": [2]})
    assert status == 201
    second = open_grid(client, grid, assignment="A2", worker="W2")
    with django_assert_max_num_queries(10) as queries:  # a new worker, the answer's writes
        status, _ = post_json(
            client, second["submit_url"], {"token": second["token"], "positions": [3]}
        )
    assert status == 201
    members = '"annotation_griditem"."position"'  # the read of the grid's members
    assert not any(members in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at commit
def test_a_grid_replaced_after_its_members_were_kept_is_unknown_and_nothing_is_stored(client, grid):
    config = open_grid(client, grid, assignment="A1", worker="W1")
    body = {"token": config["token"], "positions": [99]}
    status, result = post_json(client, config["submit_url"], body)
    assert status == 400 and result["code"] == "out_of_range"  # the members are kept now
    grid.hits.all().delete()
    grid.delete()  # a grid nobody answered may be rebuilt, with new public ids
    status, result = post_json(client, config["submit_url"], body | {"positions": [1]})
    assert status == 400 and result["error"] == "Unknown grid."
    assert nothing_stored()


def test_an_assignment_cannot_move_to_another_task(client, grid):
    config = open_grid(client, grid, assignment="A1", worker="W1")
    post_json(client, config["submit_url"], {"token": config["token"], "positions": [1]})
    other = make_grid(grid.campaign)
    publish(other, "H2")
    moved = open_grid(client, other, assignment="A1", worker="W1", hit="H2")
    status, result = post_json(
        client, moved["submit_url"], {"token": moved["token"], "positions": [2]}
    )
    assert status == 400 and "another task" in result["error"]
    assert ContainsAnswer.objects.count() == 1


def test_preview_shows_the_task_without_its_pictures_and_cannot_submit(client, grid):
    url = page_url(
        "contains",
        grid.public_id,
        assignmentId="ASSIGNMENT_ID_NOT_AVAILABLE",
        hitId="H1",
        turkSubmitTo="https://workersandbox.mturk.com",
    )
    response = client.get(url)
    html = response.content.decode()
    # The query and instructions, not the pictures: a picture is shown only to a worker who
    # may answer about it (a control seen twice under one query gives itself away).
    assert response.status_code == 200 and 'class="pick"' not in html and "/img/" not in html
    assert grid.query.gloss in html and "48 images" in html
    assert 'id="submit" type="button" class="primary" disabled' in html
    config = page_config(client, url)
    assert config["mode"] == "preview" and not config["can_submit"] and "token" not in config
    # Even a hand-made token naming the preview assignment is refused by the server.
    token = page_token("contains", grid.public_id, Submitter("W1", "ASSIGNMENT_ID_NOT_AVAILABLE"))
    status, result = post_json(client, config["submit_url"], {"token": token, "positions": [1]})
    assert status == 400 and "preview" in result["error"]
    assert nothing_stored()


def test_blocked_workers_are_refused(client, grid):
    Worker.objects.create(source="mturk", external_id="W9", blocked=True, blocked_reason="spam")
    config = open_grid(client, grid, worker="W9")
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [1]}
    )
    assert status == 400 and "no longer submit" in result["error"]
    assert not ContainsAnswer.objects.exists() and not Assignment.objects.exists()


def test_a_worker_blocked_after_answering_cannot_submit_the_answer_again(client, grid):
    config = open_grid(client, grid, worker="W9")
    body = {"token": config["token"], "positions": [1]}
    assert post_json(client, config["submit_url"], body)[0] == 201
    Worker.objects.filter(external_id="W9").update(blocked=True)
    status, result = post_json(client, config["submit_url"], body)
    assert status == 400 and "no longer submit" in result["error"]
    assert ContainsAnswer.objects.count() == 1


def test_pages_without_valid_mturk_parameters_cannot_submit(client, grid, settings):
    for query in (
        {**mturk_query(), "turkSubmitTo": "https://evil.example"},
        {**mturk_query(), "turkSubmitTo": "https://www.mturk.com/elsewhere"},
        {**mturk_query(), "workerId": ""},
        {**mturk_query(), "hitId": "NOT-OURS"},
        {**mturk_query(), "hitId": ""},
    ):
        config = page_config(client, page_url("contains", grid.public_id, **query))
        assert config["mode"] == "closed" and not config["can_submit"]
        assert "token" not in config
    config = page_config(client, page_url("contains", grid.public_id, **mturk_query()))
    assert config["turk_submit_to"] == "https://workersandbox.mturk.com"


# CLASSIFY


def open_task(client, task, **ids):
    ids.setdefault("hit", "HT1")
    return page_config(client, page_url("classify", task.public_id, **mturk_query(**ids)))


def test_classify_answer_is_stored_with_its_labels_and_main_label(client, task):
    config = open_task(client, task)
    status, result = post_json(
        client,
        config["submit_url"],
        {"token": config["token"], "labels": [0, 3], "main": 3, "duration_ms": 4200},
    )
    assert status == 201
    answer = ClassifyAnswer.objects.get(pk=result["answer"])
    by_position = dict(task.options.values_list("position", "label_id"))
    assert set(answer.labels.values_list("label_id", flat=True)) == {by_position[0], by_position[3]}
    assert answer.main_label_id == by_position[3] and answer.duration_ms == 4200
    assert answer.assignment.kind == "classify" and answer.assignment.classify_task == task


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"labels": [], "main": 0}, "at least one label"),
        ({"labels": [0, 1], "main": 2}, "main label must be one of the labels selected"),
        ({"labels": [0, 5], "main": 0}, "not options of this task"),
        ({"labels": [0], "main": 9}, "not options of this task"),
        ({"labels": [0]}, "main label must be a non-negative integer"),
        ({"labels": [0], "main": "0"}, "main label must be a non-negative integer"),
        ({"labels": "0", "main": 0}, "must be a list"),
        ({"labels": [0, 0], "main": 0}, "twice"),
    ],
)
def test_classify_rules_are_checked_on_the_server(client, task, body, words):
    config = open_task(client, task)
    status, result = post_json(client, config["submit_url"], {"token": config["token"], **body})
    assert status == 400 and words in result["error"]
    assert nothing_stored()


def test_classify_double_submit_and_second_assignment(client, task):
    config = open_task(client, task, assignment="A1", worker="W1")
    first = post_json(
        client, config["submit_url"], {"token": config["token"], "labels": [1], "main": 1}
    )
    again = post_json(
        client, config["submit_url"], {"token": config["token"], "labels": [2], "main": 2}
    )
    assert (first[0], again[0]) == (201, 200) and again[1]["answer"] == first[1]["answer"]
    ClassifyAnswer.objects.update(verification=Verification.CONFIRMED)  # as the sync does
    other = open_task(client, task, assignment="A2", worker="W1")
    status, result = post_json(
        client, other["submit_url"], {"token": other["token"], "labels": [2], "main": 2}
    )
    assert status == 400 and "already answered" in result["error"]
    assert ClassifyAnswer.objects.count() == 1


def test_a_contains_token_cannot_answer_a_classify_task(client, grid, task):
    config = open_grid(client, grid)
    status, result = post_json(
        client,
        page_url("classify", task.public_id) + "submit",
        {"token": config["token"], "labels": [0], "main": 0},
    )
    assert status == 400 and "another task" in result["error"]
    assert nothing_stored()


# Whose answers are taken


def test_an_answer_to_a_hit_this_campaign_never_published_is_refused(client, grid):
    """A page token for a made-up HIT id (or another task's HIT) is refused at once: 403,
    nothing stored."""
    other = make_grid(grid.campaign)
    publish(other, "H2")
    for hit in ("NOT-OURS", "H2", ""):
        token = page_token("contains", grid.public_id, Submitter("W1", f"A-{hit}", hit))
        url = page_url("contains", grid.public_id) + "submit"
        status, result = post_json(client, url, {"token": token, "positions": [1]})
        assert status == 403 and result["code"] == "unknown_hit", hit
    assert nothing_stored()


def test_a_hit_published_after_the_tasks_facts_were_kept_is_known_at_once(client):
    grid = make_grid(make_campaign())
    publish(grid, "H1")
    open_grid(client, grid)  # the facts are kept now
    publish(make_grid(grid.campaign), "H2")
    late = make_grid(grid.campaign)
    assert open_grid(client, late, hit="H3")["mode"] == "closed"
    publish(late, "H3")
    config = open_grid(client, late, hit="H3")
    assert config["mode"] == "mturk"
    assert (
        post_json(client, config["submit_url"], {"token": config["token"], "positions": []})[0]
        == 201
    )


def test_invite_answers_count_at_once(client, grid):
    config = page_config(client, invite_link("contains", grid.public_id, "ann"))
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [1]}
    )
    assert status == 201
    assert ContainsAnswer.objects.get(pk=result["answer"]).verification == Verification.CONFIRMED


def fill(client, grid, n: int) -> list[int]:
    """n local annotators' answers (they count at once)."""
    statuses = []
    for k in range(n):
        config = page_config(client, invite_link("contains", grid.public_id, f"ann{k}"))
        body = {"token": config["token"], "positions": [k % 48]}
        statuses.append(post_json(client, config["submit_url"], body)[0])
    return statuses


def test_a_tenth_answer_to_a_nine_answer_task_is_refused(client, grid):
    assert fill(client, grid, 9) == [201] * 9
    # The tenth, from a lab annotator or an MTurk worker: 409, nothing stored.
    config = page_config(client, invite_link("contains", grid.public_id, "ann9"))
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": []}
    )
    assert status == 409 and result["code"] == "full" and "all the answers" in result["error"]
    mturk = open_grid(client, grid, assignment="A10", worker="W10")
    status, result = post_json(
        client, mturk["submit_url"], {"token": mturk["token"], "positions": []}
    )
    assert status == 409 and result["code"] == "full"
    assert ContainsAnswer.objects.count() == 9
    assert not Worker.objects.filter(external_id__in=["ann9", "W10"]).exists()
    # A repeat of an answer stored before is still answered with it.
    again = page_config(client, invite_link("contains", grid.public_id, "ann8"))
    status, result = post_json(
        client, again["submit_url"], {"token": again["token"], "positions": []}
    )
    assert status == 200 and result["repeat"]


def test_pending_answers_do_not_fill_a_task(client, grid):
    """Nine answers given through MTurk's parameters wait for MTurk: they do not close the task
    to the real workers (invented ones could otherwise fill every task)."""
    for k in range(9):
        config = open_grid(client, grid, assignment=f"A{k}", worker=f"W{k}")
        assert (
            post_json(client, config["submit_url"], {"token": config["token"], "positions": []})[0]
            == 201
        )
    assert fill(client, grid, 1) == [201]


def test_a_hit_extended_past_the_campaigns_answers_takes_its_assignments(client, grid):
    grid.hits.update(max_assignments=10)
    assert fill(client, grid, 11) == [201] * 10 + [409]


def test_a_done_campaign_refuses_new_answers(client, grid, task):
    answered = page_config(client, invite_link("contains", grid.public_id, "ann"))
    body = {"token": answered["token"], "positions": [1]}
    assert post_json(client, answered["submit_url"], body)[0] == 201
    config = open_grid(client, grid)  # opened before the campaign is done
    Campaign.objects.filter(pk=grid.campaign_id).update(state=Campaign.State.DONE)
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": []}
    )
    assert status == 409 and result["code"] == "closed" and "done" in result["error"]
    assert post_json(client, answered["submit_url"], body)[0] == 200  # a repeat
    Campaign.objects.filter(pk=task.campaign_id).update(state=Campaign.State.DONE)
    config = open_task(client, task)
    assert config["mode"] == "closed" and "done" in config["reason"] and "token" not in config
    token = page_token("classify", task.public_id, Submitter("W1", "A1", "HT1"))
    status, result = post_json(
        client,
        page_url("classify", task.public_id) + "submit",
        {"token": token, "labels": [0], "main": 0},
    )
    assert status == 409 and result["code"] == "closed"
    assert ContainsAnswer.objects.count() == 1 and not ClassifyAnswer.objects.exists()


# A control is not shown twice to the same worker under the same query


def test_an_mturk_worker_is_not_shown_a_grid_of_the_same_query_with_pictures_seen_before(
    client, grid
):
    controls = [i.image for i in grid.items.filter(is_control=True)]
    again = make_grid(grid.campaign, query=grid.query, reuse=controls[:2])
    fresh = make_grid(grid.campaign, query=grid.query)
    for g, hit in ((again, "H2"), (fresh, "H3")):
        publish(g, hit)
    first = open_grid(client, grid, assignment="A1", worker="W1")
    assert (
        post_json(client, first["submit_url"], {"token": first["token"], "positions": [1]})[0]
        == 201
    )
    # The grid that shows two of those pictures again under the same query: closed, without
    # its pictures; and its submit is refused.
    response = client.get(page_url("contains", again.public_id, **mturk_query("A2", "W1", "H2")))
    html = response.content.decode()
    config = page_config(
        client, page_url("contains", again.public_id, **mturk_query("A2", "W1", "H2"))
    )
    assert config["mode"] == "closed" and "same images" in config["reason"]
    assert 'class="pick"' not in html and "/img/" not in html
    token = page_token("contains", again.public_id, Submitter("W1", "A2", "H2"))
    status, result = post_json(
        client, page_url("contains", again.public_id) + "submit", {"token": token, "positions": [2]}
    )
    assert status == 409 and result["code"] == "seen"
    # A grid of the same query with other pictures, and other workers: as usual.
    assert open_grid(client, fresh, assignment="A3", worker="W1", hit="H3")["mode"] == "mturk"
    assert open_grid(client, again, assignment="A4", worker="W2", hit="H2")["mode"] == "mturk"
    # An answer MTurk did not confirm does not count against the worker it names.
    ContainsAnswer.objects.update(verification=Verification.UNCONFIRMED)
    assert open_grid(client, again, assignment="A2", worker="W1", hit="H2")["mode"] == "mturk"


def test_a_lab_annotator_gets_grids_that_repeat_pictures_last(client, grid):
    controls = [i.image for i in grid.items.filter(is_control=True)]
    again = make_grid(grid.campaign, query=grid.query, reuse=controls[:1])
    fresh = make_grid(grid.campaign, query=grid.query)
    config = page_config(client, invite_link("contains", grid.public_id, "ann"))
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": []}
    )
    assert status == 201
    # `again` comes before `fresh` in the campaign's order, but repeats a picture: last.
    assert result["next_url"] == invite_link("contains", fresh.public_id, "ann")
    # Where nothing else is left, it is given all the same (the dataset does not allow better).
    config = page_config(client, result["next_url"])
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": []}
    )
    assert result["next_url"] == invite_link("contains", again.public_id, "ann")
    assert page_config(client, result["next_url"])["can_submit"]


def test_a_hit_closed_and_reviewed_takes_no_more_answers(client, grid):
    grid.hits.update(done=True)  # the sync found it closed on MTurk, every assignment reviewed
    assert open_grid(client, grid)["mode"] == "closed"
    token = page_token("contains", grid.public_id, Submitter("W1", "A1", "H1"))
    url = page_url("contains", grid.public_id) + "submit"
    status, result = post_json(client, url, {"token": token, "positions": [1]})
    assert status == 403 and result["code"] == "unknown_hit"
    assert nothing_stored()
