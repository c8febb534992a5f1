"""The simulated CLASSIFY crowd: the pure answer model, its shell, the commands, and the whole
CLASSIFY stage to final labels."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crowd.models import Assignment, ClassifyAnswer, ClassifyTask, QcStatus, Worker
from pipeline import flow
from pipeline.models import ImageInclusion, ImageLabels
from pipeline.rules.aggregation import aggregate_answers, object_labels
from pipeline.rules.classify_qc import ClassifyAnswer as QcAnswer
from pipeline.rules.classify_qc import run_classify_qc
from pipeline.tasks.stages import classify_all
from simulation.classify_crowd import simulate_classify_answers
from simulation.classify_model import CrowdModel, SimTask, simulate
from simulation.crowd_source import SimulatedCrowd
from tests.pipeline.classify_builders import FRUIT, answer, follow_up, make_campaign

OPTIONS = (10, 11, 12, 13, 14, 15)
ONE = [SimTask(f"one{i}", OPTIONS, ((10,),)) for i in range(40)]
TWO = [SimTask(f"two{i}", OPTIONS, ((10,), (11,))) for i in range(40)]


def qc(answers):
    return run_classify_qc(QcAnswer(n, a.worker, a.selected, a.main) for n, a in enumerate(answers))


# --- the pure model ---------------------------------------------------------------------


def test_same_seed_same_answers_and_each_task_independent():
    model = CrowdModel(spammers=2)
    first = simulate(ONE + TWO, 9, model, seed=3)
    assert simulate(ONE + TWO, 9, model, seed=3) == first
    assert simulate(TWO, 9, model, seed=3) == [
        a for a in first if a.task_key in {t.key for t in TWO}
    ]
    assert simulate(ONE + TWO, 9, model, seed=4) != first


def test_every_task_gets_distinct_workers():
    answers = simulate(TWO, 9, CrowdModel(spammers=3), seed=1)
    per_task = Counter(a.task_key for a in answers)
    assert set(per_task.values()) == {9}
    assert all(len({a.worker for a in answers if a.task_key == t.key}) == 9 for t in TWO)
    wanted = [SimTask("few", OPTIONS, ((10,),), answers=4)]
    assert len(simulate(wanted, 9, CrowdModel(), seed=1)) == 4


def test_honest_crowd_mostly_recovers_the_true_objects():
    answers = simulate(ONE + TWO, 9, CrowdModel(), seed=5)
    kept = qc(answers).kept()  # answer ids are positions in `answers`
    right = 0
    for task in ONE + TWO:
        mine = [(a.selected, a.main) for a in kept if answers[a.answer_id].task_key == task.key]
        result = aggregate_answers(mine, 10)
        assert result["main_label"] == 10
        right += set(object_labels(result["objects"])) == {label for (label,) in task.objects}
    assert right >= 0.9 * len(ONE + TWO)


def test_spammers_are_dropped_and_honest_workers_kept():
    answers = simulate(ONE + TWO, 9, CrowdModel(spammers=3), seed=2)
    result = qc(answers)
    assert result.dropped_workers == {"spam-00", "spam-01", "spam-02"}
    honest = [o for o in result.outcomes if not str(o.answer.worker_id).startswith("spam-")]
    assert sum(o.kept for o in honest) / len(honest) > 0.95


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"see_main": 1.5}, "see_main must be a probability"), ({"spammers": -1}, "negative")],
)
def test_bad_model_parameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CrowdModel(**kwargs)


def test_too_small_a_pool_is_refused():
    with pytest.raises(ValueError, match="the pool has 5"):
        simulate(ONE, 9, CrowdModel(honest_workers=5), seed=0)


# --- the shell, the commands and the whole stage ----------------------------------------


@pytest.fixture
def demo_campaign(catalogue):
    """Follow-up images named like the demo's: a third of them hold a second object."""
    campaign = make_campaign("demo", seed=11)
    orange, lemon, berry = (catalogue[w] for w in FRUIT)
    for i in range(24):
        name = f"n07747607_with_n07749582_{i}" if i % 3 == 0 else f"n07747607_{i}"
        follow_up(campaign, name, orange, [orange, lemon, berry])
    follow_up(campaign, "easy", lemon, [lemon], ImageInclusion.Category.EASY)
    return campaign


def answer_rows(campaign):
    return sorted(
        (a.task_id, a.worker.external_id, a.main_label_id, tuple(a.labels.values_list("label_id")))
        for a in ClassifyAnswer.objects.filter(task__campaign=campaign).select_related("worker")
    )


@pytest.mark.django_db
def test_whole_stage_with_spammers_to_final_labels(demo_campaign):
    assert (
        flow.run_stages(demo_campaign, flow.CLASSIFY)["classify_tasks"].created == 24
    )  # tasks, no answers
    # Spammers who break a rule in most answers (empty selections), so that none can stay
    # under the flagged-share threshold by luck; honest workers slip in 2% of answers.
    crowd = CrowdModel(spammers=2, spam_empty=0.9)
    simulated = simulate_classify_answers(demo_campaign, model=crowd)
    assert simulated.answers == 24 * 9
    summaries = flow.run_stages(demo_campaign, flow.CLASSIFY)
    assert Worker.objects.filter(source=Worker.Source.SIMULATED).count() == 22
    spam = ClassifyAnswer.objects.filter(worker__external_id__startswith="classify-spam-")
    assert spam.exists() and not spam.filter(qc_status=QcStatus.KEPT).exists()
    honest = ClassifyAnswer.objects.exclude(worker__external_id__startswith="classify-spam-")
    assert honest.filter(qc_status=QcStatus.KEPT).count() >= 0.95 * honest.count()
    assert summaries["classify_qc"].dropped_workers >= 2
    aggregated = summaries["aggregation"]
    assert (aggregated.classified, aggregated.easy) == (24, 1)
    two = ImageLabels.objects.filter(image__source__contains="_with_")
    # Options are shuffled by a seed keyed by ids, so the answers drawn depend on them: over
    # ten id offsets on PostgreSQL, 6 to 8 of the 8 two-object images came out with two, and
    # no other image did.
    assert sum(head.num_objects == 2 for head in two) >= 6  # of 8
    assert aggregated.objects[2] >= 6


@pytest.mark.django_db
def test_simulation_rerun_replaces_its_answers_and_keeps_real_ones(demo_campaign, catalogue):
    flow.run_stages(demo_campaign, flow.CLASSIFY)  # tasks, no answers yet
    task = ClassifyTask.objects.filter(campaign=demo_campaign).order_by("pk").first()
    orange = catalogue[FRUIT[0]]
    real = answer(task, "someone", [orange], orange)
    first = simulate_classify_answers(demo_campaign, spammers=1)
    rows = answer_rows(demo_campaign)
    again = simulate_classify_answers(demo_campaign, spammers=1)
    assert again.replaced == first.answers == 24 * 9 - 1  # the real answer fills one place
    assert answer_rows(demo_campaign) == rows
    assert task.answers.count() == 9 and ClassifyAnswer.objects.filter(pk=real.pk).exists()
    assert Assignment.objects.filter(campaign=demo_campaign).count() == 24 * 9


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.django_db
def test_commands_run_the_stage_and_print_summaries(demo_campaign):
    with pytest.raises(CommandError, match="no CLASSIFY tasks"):
        call("simulate_classify", "--campaign", str(demo_campaign.pk))
    out = call("classify", "--campaign", str(demo_campaign.pk), "tasks")
    assert "classify_tasks: 24 CLASSIFY tasks: 24 created" in out
    out = call("simulate_classify", "--campaign", "demo", "--spammers", "1", "--seed", "3")
    assert "216 simulated CLASSIFY answers to 24 tasks" in out
    with pytest.raises(CommandError, match="quality control"):
        call("classify", "--campaign", str(demo_campaign.pk), "aggregate")
    out = call("classify", "--campaign", str(demo_campaign.pk), "qc")
    assert "216 CLASSIFY answers checked" in out and "1 of 21 workers dropped" in out
    out = call("classify", "--campaign", str(demo_campaign.pk), "aggregate")
    assert "25 images labelled (24 from CLASSIFY, 1 easy)" in out
    assert "images by number of objects 1: " in out


@pytest.mark.django_db
def test_command_all_and_unknown_campaign(demo_campaign):
    call("classify", "--campaign", str(demo_campaign.pk), "classify_tasks")
    call("simulate_classify", "--campaign", str(demo_campaign.pk))
    out = call("classify", "--campaign", str(demo_campaign.pk), "all")
    assert [line.split(":")[0] for line in out.splitlines()] == list(flow.CLASSIFY)
    assert ImageLabels.objects.filter(campaign=demo_campaign).count() == 25
    with pytest.raises(CommandError, match="No campaign with id or name 'nope'"):
        call("classify", "--campaign", "nope", "qc")


@pytest.mark.django_db
def test_celery_task_runs_the_whole_stage(demo_campaign):
    flow.run_stages(demo_campaign, flow.CLASSIFY, SimulatedCrowd(spammers=2))
    result = classify_all.apply(args=[demo_campaign.pk]).get()
    assert result["classify_tasks"]["created"] == 0  # kept: they have answers
    assert result["aggregation"]["classified"] == 24
    assert ImageLabels.objects.filter(campaign=demo_campaign).count() == 25
