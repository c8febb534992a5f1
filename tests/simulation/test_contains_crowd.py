"""The crowd simulator: its answer model, the rows it writes, and QC catching its spammers."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crowd.models import Assignment, ContainsAnswer, ContainsGrid, QcStatus
from pipeline import flow
from pipeline.models import CandidateLabel, ImageInclusion, SelectionFrequency
from pipeline.stages.contains_qc import run_qc
from pipeline.stages.grids import build_grids
from pipeline.tasks.stages import after_contains_answers
from simulation import contains_model as simulate
from simulation.contains_crowd import simulate_contains
from simulation.crowd_source import SimulatedCrowd
from tests.builders import GOLF_BALL, LEMON, ORANGE, SOCCER_BALL, TABBY, TENNIS_BALL

CLASSES = [TABBY, SOCCER_BALL, ORANGE, LEMON, TENNIS_BALL, GOLF_BALL]


def test_crowd_composition_and_determinism():
    crowd = simulate.make_crowd(50, 0.2, random.Random(1), spammer_kinds=(simulate.RANDOM,))
    assert sum(w.spammer for w in crowd) == 10
    assert all(w.kind in (simulate.HONEST, simulate.RANDOM) for w in crowd)
    again = simulate.make_crowd(50, 0.2, random.Random(1), spammer_kinds=(simulate.RANDOM,))
    assert crowd == again
    with pytest.raises(ValueError, match="spammer kinds"):
        simulate.make_crowd(5, 0.2, random.Random(1), spammer_kinds=("lazy",))


def test_answers_follow_the_truth():
    rng = random.Random(0)
    images = list(range(400))
    truth = {i: frozenset({1} if i < 200 else {2}) for i in images}
    honest = simulate.SimWorker("h", simulate.HONEST, 0.9, 0.05, 900.0)
    picked = set(simulate.answer_grid(honest, 1, images, truth, rng))
    hits = len(picked & set(range(200))) / 200
    false = len(picked - set(range(200))) / 200
    assert 0.8 < hits < 0.97 and false < 0.12
    none = simulate.SimWorker("n", simulate.NONE, 0.0, 0.0, 900.0)
    every = simulate.SimWorker("a", simulate.ALL, 1.0, 1.0, 900.0)
    assert simulate.answer_grid(none, 1, images, truth, rng) == []
    assert simulate.answer_grid(every, 1, images, truth, rng) == images


def test_draw_truth_keeps_dataset_labels_unless_mislabeled():
    rng = random.Random(3)
    potential = {i: [0, 1, 2, 3] for i in range(1000)}
    labels = dict.fromkeys(range(1000), 0)
    truth = simulate.draw_truth(potential, labels, rng, extra_true_rate=0.2, mislabeled_rate=0.1)
    missing = sum(0 not in t for t in truth.values())
    extra = sum(len(t - {0}) for t in truth.values()) / 3000
    assert 60 < missing < 140 and 0.15 < extra < 0.25


@pytest.mark.django_db
def test_simulated_spammers_are_caught(make_campaign):
    campaign = make_campaign(CLASSES, 40, extra=3)
    build_grids(campaign)
    sim = simulate_contains(campaign, spammer_share=0.2, seed=7, workers=60)
    n_grids = ContainsGrid.objects.filter(campaign=campaign).count()
    assert sim.answers == n_grids * 9 == ContainsAnswer.objects.count()
    assert Assignment.objects.filter(status=Assignment.Status.SUBMITTED).count() == sim.answers
    assert all(sim.spammers[kind] for kind in simulate.DEFAULT_SPAMMERS)

    run_qc(campaign)
    spammers = [w for ids in sim.spammers.values() for w in ids]
    spam = ContainsAnswer.objects.filter(worker__in=spammers)
    honest = ContainsAnswer.objects.exclude(worker__in=spammers)
    spam_kept = spam.filter(qc_status=QcStatus.KEPT).count() / spam.count()
    honest_kept = honest.filter(qc_status=QcStatus.KEPT).count() / honest.count()
    assert spam_kept < 0.05, spam_kept
    assert honest_kept > 0.97, honest_kept
    # every "none" spammer loses all its answers with its worker
    nones = ContainsAnswer.objects.filter(worker__in=sim.spammers[simulate.NONE])
    assert set(nones.values_list("qc_status", flat=True)) == {QcStatus.DROPPED_WORKER}


@pytest.mark.django_db
def test_select_all_spammers_pass_control_qc(make_campaign):
    """A limit of the paper's QC, recorded: controls cannot catch a worker who selects all."""
    campaign = make_campaign(CLASSES[:3], 30, extra=2)
    build_grids(campaign)
    sim = simulate_contains(campaign, 0.2, seed=1, workers=30, spammer_kinds=(simulate.ALL,))
    run_qc(campaign)
    answers = ContainsAnswer.objects.filter(worker__in=sim.spammers[simulate.ALL])
    assert set(answers.values_list("qc_status", flat=True)) == {QcStatus.KEPT}


@pytest.mark.django_db
def test_simulation_resumes_without_duplicates(make_campaign):
    campaign = make_campaign(CLASSES[:3], 20, extra=2)
    build_grids(campaign)
    first = simulate_contains(campaign, 0.1, seed=2)
    ContainsAnswer.objects.filter(pk__in=ContainsAnswer.objects.values("pk")[:5]).delete()
    second = simulate_contains(campaign, 0.1, seed=2)
    assert second.answers == 5 and second.grids_filled <= 5
    assert ContainsAnswer.objects.count() == first.answers
    assert simulate_contains(campaign, 0.1, seed=2).answers == 0


@pytest.mark.django_db
def test_run_contains_end_to_end_and_again(make_campaign):
    campaign = make_campaign(CLASSES[:4], 25, extra=3)
    crowd = SimulatedCrowd(spammer_share=0.1, seed=3)
    lines = []
    first = flow.run_stages(campaign, flow.CONTAINS, crowd, log=lines.append)
    assert first["grids"] and first["grids"].grids == ContainsGrid.objects.count()
    assert first["contains_answers"].answers == ContainsAnswer.objects.count() > 0
    images = campaign.dataset.images.count()
    assert first["inclusion"].images == images == sum(first["inclusion"].counts.values())
    assert first["candidates"].images == images
    assert [line.split(":")[0] for line in lines[1:]] == [
        "contains_answers",
        *flow.CONTAINS[1:],
    ]
    sf = sorted(SelectionFrequency.objects.values_list("image", "label", "selected", "answers"))
    second = flow.run_stages(campaign, flow.CONTAINS, crowd, log=lines.append)
    assert second["grids"] is None and second["contains_answers"].answers == 0
    assert sf == sorted(
        SelectionFrequency.objects.values_list("image", "label", "selected", "answers")
    )
    candidates = second["candidates"].candidates
    assert CandidateLabel.objects.filter(campaign=campaign).count() == candidates
    assert ImageInclusion.objects.filter(campaign=campaign).count() == images


@pytest.mark.django_db
def test_commands(make_campaign):
    campaign = make_campaign(CLASSES[:3], 20, extra=2)
    out = StringIO()
    call_command("contains", "build-grids", "--campaign", str(campaign.pk), stdout=out)
    assert "Grids:" in out.getvalue()
    call_command(
        "simulate_crowd",
        "--campaign",
        campaign.name,
        "--spammers",
        "0.2",
        "--seed",
        "4",
        stdout=out,
    )
    assert "Simulated" in out.getvalue()
    call_command("contains", "all", "--campaign", campaign.name, stdout=out)
    text = out.getvalue()
    for expected in (
        "keeping the",
        "Quality control:",
        "dropped:",
        "Selection frequencies:",
        "Candidates:",
        "Inclusion of 60 images",
    ):
        assert expected in text
    with pytest.raises(CommandError, match="already has"):
        call_command("contains", "build-grids", "--campaign", campaign.name, stdout=out)
    with pytest.raises(CommandError, match="No campaign with id or name 'nope'"):
        call_command("contains", "contains_qc", "--campaign", "nope", stdout=out)


@pytest.mark.django_db
def test_celery_task_runs_the_steps(make_campaign):
    campaign = make_campaign(CLASSES[:3], 20, extra=2)
    build_grids(campaign)
    simulate_contains(campaign, 0.1, seed=5)
    result = after_contains_answers.apply(args=[campaign.pk]).get()
    assert result["contains_qc"]["answers"] == ContainsAnswer.objects.count()
    assert sum(result["inclusion"]["counts"].values()) == 60
