"""The simulated crowd answering through the HIT pages and submit endpoints (simulation.http_crowd):
in process through Django's handler, and over real HTTP against a live server."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Value
from django.db.models.functions import Concat

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ContainsAnswer,
    ContainsGrid,
    Hit,
    MTurkCall,
    QcStatus,
    Worker,
)
from pipeline.stages.classify_tasks import create_classify_tasks
from pipeline.stages.contains_qc import run_qc
from pipeline.stages.grids import build_grids
from simulation import contains_model as simulate
from simulation.http_crowd import (
    CrowdError,
    Http,
    InProcess,
    Visit,
    crowd_classify,
    crowd_contains,
    run_visits,
)
from tests.builders import GOLF_BALL, LEMON, ORANGE, SOCCER_BALL, TABBY, TENNIS_BALL
from tests.pipeline.classify_builders import FRUIT, follow_up
from tests.pipeline.classify_builders import make_campaign as classify_campaign

CLASSES = [ORANGE, LEMON, TABBY, GOLF_BALL, TENNIS_BALL, SOCCER_BALL]


@pytest.mark.django_db
def test_mturk_style_answers_arrive_through_the_endpoints(make_campaign):
    campaign = make_campaign(CLASSES[:3], 20, extra=2)
    build_grids(campaign)
    grids = ContainsGrid.objects.filter(campaign=campaign).count()
    result = crowd_contains(campaign, seed=4, mode="mturk")
    assert result.answers == grids * campaign.contains_assignments == ContainsAnswer.objects.count()
    assignments = Assignment.objects.filter(campaign=campaign)
    # The ids the simulator put in the page URL, as MTurk would have: HITs it published on its
    # simulated market, which the MTurk sync then read to confirm every answer.
    assert all(a.startswith("SIM") for a in assignments.values_list("external_id", flat=True))
    assert all(h.startswith("SIMHIT") for h in assignments.values_list("hit_id", flat=True))
    assert Hit.objects.filter(campaign=campaign, sandbox=True).count() == grids
    assert set(ContainsAnswer.objects.values_list("verification", flat=True)) == {"confirmed"}
    assert MTurkCall.objects.filter(operation="ListAssignmentsForHIT").count() == grids
    # Closed between runs, so that the sync of the real sandbox leaves them alone.
    assert not Hit.objects.filter(campaign=campaign, done=False).exists()
    workers = Worker.objects.filter(contains_answers__isnull=False).distinct()
    assert set(workers.values_list("source", flat=True)) == {Worker.Source.MTURK}
    assert all(w.startswith("sim4-") for w in workers.values_list("external_id", flat=True))
    durations = list(ContainsAnswer.objects.values_list("duration_ms", flat=True))
    assert None not in durations and min(durations) > 0
    # Full grids get no visit; nothing is stored twice.
    assert crowd_contains(campaign, seed=4, mode="mturk").answers == 0
    assert ContainsAnswer.objects.count() == result.answers


@pytest.mark.django_db
def test_a_bad_answer_gets_the_endpoints_400_and_stores_nothing(make_campaign):
    campaign = make_campaign(CLASSES[:2], 12, extra=1)
    build_grids(campaign)
    grid = ContainsGrid.objects.filter(campaign=campaign).first()

    def out_of_grid(shown: list[int], rng: random.Random) -> dict:
        return {"positions": [max(shown) + 100], "duration_ms": 1000}

    visit = Visit(Assignment.Kind.CONTAINS, grid.public_id, "bad-worker", out_of_grid, "bad")
    with pytest.raises(CrowdError, match="HTTP 400: Positions .* are not in this grid"):
        run_visits(InProcess(), [visit])
    assert not ContainsAnswer.objects.exists() and not Assignment.objects.exists()


@pytest.mark.django_db
def test_spammers_and_control_ignorers_are_caught_by_qc(make_campaign):
    campaign = make_campaign(CLASSES, 40, extra=3)
    build_grids(campaign)
    kinds = (simulate.RANDOM, simulate.NONE, simulate.IGNORE_CONTROLS)
    sim = crowd_contains(campaign, spammer_share=0.3, seed=7, workers=40, spammer_kinds=kinds)
    assert all(sim.spammers[kind] for kind in kinds)
    # Invite mode: the workers are stored as simulated ones.
    sources = Worker.objects.filter(contains_answers__isnull=False).values_list("source")
    assert set(sources.distinct()) == {(Worker.Source.SIMULATED,)}
    run_qc(campaign)
    spammers = [w for ids in sim.spammers.values() for w in ids]
    spam = ContainsAnswer.objects.filter(worker__in=spammers)
    honest = ContainsAnswer.objects.exclude(worker__in=spammers)
    assert spam.filter(qc_status=QcStatus.KEPT).count() < 0.05 * spam.count()
    # Honest workers miss a control now and then (hit rate 0.85 +- 0.08): 152 to 156 of 157
    # answers were kept over seeds and runs.
    assert honest.filter(qc_status=QcStatus.KEPT).count() > 0.95 * honest.count()
    ignorers = ContainsAnswer.objects.filter(worker__in=sim.spammers[simulate.IGNORE_CONTROLS])
    # An ignorer still selects each control at the spam rate (0.1), so now and then one of its
    # few grids passes the control check: over seeds 1-20, 0 to 2 of about 22 answers were
    # kept (the total above stays under 5%).
    assert ignorers.filter(qc_status=QcStatus.KEPT).count() < 0.15 * ignorers.count()


@pytest.mark.django_db
def test_classify_answers_arrive_through_the_endpoints(catalogue):
    campaign = classify_campaign("crowd", seed=5)
    orange, lemon, berry = (catalogue[w] for w in FRUIT)
    for i in range(6):
        follow_up(campaign, f"n07747607_with_n07749582_{i}", orange, [orange, lemon, berry])
    create_classify_tasks(campaign)
    summary = crowd_classify(campaign, spammers=2)
    assert summary.answers == 6 * campaign.classify_assignments == ClassifyAnswer.objects.count()
    answers = ClassifyAnswer.objects.select_related("worker")
    assert {a.worker.source for a in answers} == {Worker.Source.SIMULATED}
    assert all(
        a.duration_ms and a.main_label_id in set(a.labels.values_list("label_id", flat=True))
        for a in answers
    )
    # Honest workers see both objects; the main one is the orange.
    honest = answers.exclude(worker__external_id__startswith="classify-spam-")
    assert sum(a.main_label_id == orange.pk for a in honest) > 0.8 * honest.count()
    again = crowd_classify(campaign, spammers=2)  # same assignments: repeats, nothing new
    assert again.answers == 0 and ClassifyAnswer.objects.count() == summary.answers


@pytest.mark.django_db
def test_mturk_style_classify_answers_are_confirmed_by_the_sync(catalogue):
    campaign = classify_campaign("crowd-mturk", seed=5)
    orange, lemon, berry = (catalogue[w] for w in FRUIT)
    for i in range(3):
        follow_up(campaign, f"n07747607_with_n07749582_{i}", orange, [orange, lemon, berry])
    create_classify_tasks(campaign)
    summary = crowd_classify(campaign, spammers=2, mode="mturk")
    answers = ClassifyAnswer.objects.all()
    assert summary.answers == 3 * campaign.classify_assignments == answers.count()
    assert set(answers.values_list("verification", flat=True)) == {"confirmed"}
    assert {a.worker.source for a in answers.select_related("worker")} == {"mturk"}


@pytest.mark.django_db(transaction=True)
def test_over_http_against_a_live_server(make_campaign, live_server):
    campaign = make_campaign(CLASSES[:2], 12, extra=1)
    build_grids(campaign)
    result = crowd_contains(campaign, Http(live_server.url), seed=1, threads=3)
    assert result.answers == ContainsAnswer.objects.count() > 0
    assert result.answers == campaign.contains_assignments * ContainsGrid.objects.count()


@pytest.mark.django_db
def test_command_runs_both_stages(make_campaign):
    campaign = make_campaign(CLASSES[:2], 12, extra=1)
    build_grids(campaign)
    out = StringIO()
    args = ["simulate_crowd", "--campaign", campaign.name, "--seed", "2", "--verbosity", "0"]
    call_command(*args, "--spammer-kinds", "random,ignore_controls", stdout=out)
    assert "through the endpoints" in out.getvalue()
    assert ContainsAnswer.objects.count() == (
        campaign.contains_assignments * ContainsGrid.objects.count()
    )


@pytest.mark.django_db
def test_the_command_answers_mturk_style_and_refuses_a_campaign_published_on_mturk(
    make_campaign,
):
    campaign = make_campaign(CLASSES[:2], 12, extra=1)
    build_grids(campaign)
    out = StringIO()
    call_command(
        "simulate_crowd", "--campaign", campaign.name, "--mode", "mturk", "--verbosity", "0",
        stdout=out,
    )  # fmt: skip
    assert "through the endpoints" in out.getvalue()
    answers = ContainsAnswer.objects.filter(grid__campaign=campaign)
    assert answers.count() == ContainsGrid.objects.filter(campaign=campaign).count() * 9
    assert set(answers.values_list("verification", flat=True)) == {"confirmed"}
    Hit.objects.filter(campaign=campaign).update(hit_id=Concat(Value("REAL"), "hit_id"))
    with pytest.raises(CommandError, match="published on Mechanical Turk"):
        call_command("simulate_crowd", "--campaign", campaign.name, "--mode", "mturk")
