"""The Dawid-Skene stage on stored answers: hand-made grids whose truth is known, quality
control's optional accuracy rule, the ensemble as a voter, and a simulated campaign through
the flow."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.errors import MissingInput
from crowd.models import ContainsAnswer, QcStatus
from pipeline import flow
from pipeline.models import (
    Campaign,
    LabelProbability,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
    WorkerQuality,
)
from pipeline.stages.contains_qc import run_qc
from pipeline.stages.dawid_skene import compute_probabilities
from review.models import GroundTruthSet, TruthLabel
from review.truth import EXPERT_SET
from simulation.crowd_source import SimulatedCrowd
from tests.builders import (
    ORANGE,
    SOCCER_BALL,
    TABBY,
    answer,
    hand_grid,
    make_images,
    worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(make_campaign, catalogue):
    """Four grids for "tabby", 8 tabbies and 8 soccer balls tested in each; the first with 5
    controls, the others without. Four careful workers answer every grid, each missing one
    tabby; a spammer answers the grids without controls the wrong way round."""
    campaign = make_campaign([TABBY], 1, extra=0)
    tabby, ball = catalogue[TABBY], catalogue[SOCCER_BALL]
    controls = make_images(campaign.dataset, tabby, 5)
    grids, cats = [], []
    for n in range(4):
        present = make_images(campaign.dataset, tabby, 8)
        absent = make_images(campaign.dataset, ball, 8)
        grids.append(hand_grid(campaign, tabby, present + absent, controls if n == 0 else []))
        cats.append((present, absent))
    for w in range(4):
        for grid, (present, _) in zip(grids, cats, strict=True):
            answer(grid, worker(f"careful{w}"), [c for i, c in enumerate(present) if i != w], 5)
    for grid, (_, absent) in zip(grids[1:], cats[1:], strict=True):
        answer(grid, worker("spammer"), absent)
    return campaign, cats


def probabilities(campaign: Campaign) -> dict[tuple[int, int], float]:
    rows = LabelProbability.objects.filter(campaign=campaign)
    return {(r.image_id, r.label_id): r.probability for r in rows}


def test_probabilities_and_worker_accuracies_are_stored(answered):
    campaign, cats = answered
    result = compute_probabilities(campaign)

    p = probabilities(campaign)
    assert result.pairs == len(p) == 64
    label = cats[0][0][0].label_id
    assert all(p[(image.pk, label)] > 0.9 for present, _ in cats for image in present)
    assert all(p[(image.pk, label)] < 0.1 for _, absent in cats for image in absent)
    quality = {q.worker.external_id: q for q in WorkerQuality.objects.filter(campaign=campaign)}
    assert (
        quality["spammer"].accuracy
        < 0.6
        < 0.85
        < min(quality[f"careful{w}"].accuracy for w in range(4))
    )
    assert (quality["careful0"].votes, quality["careful0"].control_votes) == (4 * 16 + 5, 5)
    assert (quality["spammer"].votes, quality["spammer"].control_votes) == (48, 0)
    row = LabelProbability.objects.get(campaign=campaign, image=cats[1][1][0])
    assert (row.votes, row.selected, row.with_model) == (5, 1, None)
    run = StageRun.objects.get(pk=result.run_id)
    assert (run.stage, run.status) == (StageRun.Stage.DAWID_SKENE, StageRun.Status.DONE)

    again = compute_probabilities(campaign)  # a rerun replaces its rows
    assert probabilities(campaign) == p
    assert LabelProbability.objects.filter(campaign=campaign).count() == 64
    assert set(LabelProbability.objects.values_list("run", flat=True)) == {again.run_id}


def test_quality_control_drops_the_spammer_by_accuracy_only_when_asked(answered):
    campaign, _ = answered
    spam = ContainsAnswer.objects.filter(worker__external_id="spammer")

    run_qc(campaign)  # the paper's rules: no control on the spammer's grids, kept unchecked
    assert set(spam.values_list("qc_status", "qc_reason")) == {
        (QcStatus.KEPT, "grid has no controls: kept unchecked")
    }

    Campaign.objects.filter(pk=campaign.pk).update(qc_min_worker_accuracy=0.7)
    campaign.refresh_from_db()
    result = run_qc(campaign)
    (status, reason), *others = set(spam.values_list("qc_status", "qc_reason"))
    assert not others and status == QcStatus.DROPPED_WORKER
    assert reason.startswith("worker's estimated accuracy 0.")
    assert reason.endswith("is under 0.70 (Dawid-Skene); this answer on a grid without controls")
    assert result.dropped_workers == 1
    careful = ContainsAnswer.objects.exclude(worker__external_id="spammer")
    assert set(careful.values_list("qc_status", flat=True)) == {QcStatus.KEPT}
    assert "1 for their estimated accuracy" in StageRun.objects.get(pk=result.run_id).message


def test_the_ensemble_votes_apart_and_the_crowd_only_figure_is_unchanged(answered):
    campaign, cats = answered
    compute_probabilities(campaign)
    crowd_only = probabilities(campaign)
    # The ensemble sees every tabby (all models of 10) and no ball.
    PotentialLabel.objects.filter(campaign=campaign).delete()
    PotentialLabel.objects.bulk_create(
        PotentialLabel(campaign=campaign, image=image, label_id=image.label_id, model_count=10)
        for present, _ in cats
        for image in present
    )
    Campaign.objects.filter(pk=campaign.pk).update(dawid_skene_with_model=True)
    campaign.refresh_from_db()
    result = compute_probabilities(campaign)

    assert result.with_model and probabilities(campaign) == crowd_only
    rows = LabelProbability.objects.filter(campaign=campaign)
    label = cats[0][0][0].label_id
    with_model = {r.image_id: r.with_model for r in rows}
    assert all(with_model[i.pk] > 0.9 for present, _ in cats for i in present)
    assert all(with_model[i.pk] < 0.1 for _, absent in cats for i in absent)
    assert all(r.label_id == label for r in rows)


def test_expert_truths_clamp_their_pairs(answered):
    campaign, cats = answered
    image = cats[0][0][0]  # a tabby every careful worker selected but one
    experts = GroundTruthSet.objects.create(name=EXPERT_SET, kind=GroundTruthSet.Kind.EXPERT)
    TruthLabel.objects.create(
        truth_set=experts, image=image, label_id=image.label_id, status=TruthLabel.Status.WRONG
    )
    compute_probabilities(campaign)
    assert probabilities(campaign)[(image.pk, image.label_id)] == 0.0


def test_a_campaign_without_answers_is_refused(make_campaign, catalogue):
    campaign = make_campaign([TABBY], 1, extra=0)
    hand_grid(campaign, catalogue[TABBY], make_images(campaign.dataset, catalogue[TABBY], 3), [])
    with pytest.raises(MissingInput, match="no confirmed CONTAINS answers"):
        compute_probabilities(campaign)
    assert not StageRun.objects.filter(stage=StageRun.Stage.DAWID_SKENE).exists()


def test_the_flow_runs_it_after_the_frequencies_on_a_simulated_campaign(make_campaign):
    campaign = make_campaign([TABBY, SOCCER_BALL, ORANGE], 10, extra=2)
    flow.run_stages(campaign, ["grids"])
    SimulatedCrowd(spammer_share=0.2, seed=4, direct=True).answer("contains", campaign, None)
    summaries = flow.run_stages(campaign, flow.CONTAINS[1:])

    assert list(summaries)[:4] == [
        "contains_qc",
        "selection_frequencies",
        "dawid_skene",
        "candidates",
    ]
    frequencies = {
        (f.image_id, f.label_id): f.frequency
        for f in SelectionFrequency.objects.filter(campaign=campaign)
    }
    p = probabilities(campaign)
    assert set(p) == set(frequencies) and summaries["dawid_skene"].pairs == len(p)
    both = [(p[k], f) for k, f in frequencies.items() if f is not None]
    agree = sum((q > 0.5) == (f > 0.5) for q, f in both) / len(both)
    assert agree > 0.9
    assert WorkerQuality.objects.filter(campaign=campaign).count() == len(
        set(ContainsAnswer.objects.filter(grid__campaign=campaign).values_list("worker", flat=True))
    )


def test_the_contains_command_runs_the_step_and_refuses_a_campaign_without_answers(
    answered, make_campaign
):
    campaign, _ = answered
    out = io.StringIO()
    call_command("contains", "dawid_skene", "--campaign", campaign.name, stdout=out)
    assert "Dawid-Skene: 64 pairs, 5 workers" in out.getvalue()
    empty = make_campaign([TABBY], 1, extra=0)
    with pytest.raises(CommandError, match=f"campaign '{empty.name}' has no confirmed CONTAINS"):
        call_command("contains", "dawid_skene", "--campaign", empty.name, stdout=out)
