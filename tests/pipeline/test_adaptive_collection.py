"""Adaptive collection end to end with the simulated local crowd: tasks get the minimum first
and more only where the outcome is not settled; the labels match the fixed design's."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crowd.models import ClassifyAnswer, ClassifyTask, ContainsAnswer, ContainsGrid
from crowd.services.invites import invite_links
from pipeline import flow
from pipeline.models import AnswerRequest, ImageInclusion, ImageLabels
from pipeline.stages import adaptive
from pipeline.stages.followup import ambiguous_grids
from pipeline.tasks.stages import after_contains_answers
from simulation.crowd_source import SimulatedCrowd
from tests.builders import LEMON, ORANGE, SOCCER_BALL, TABBY

CLASSES = [TABBY, SOCCER_BALL, ORANGE, LEMON]
# An easy crowd: no spammers, careful workers.
EASY_CROWD = SimulatedCrowd(spammer_share=0.0, spammers=0, seed=3)
PIPELINE = [s.name for s in flow.STAGES if s.run is not None]


def answers_per_task(model, field: str, campaign) -> list[int]:
    counts: dict[int, int] = {}
    for task in model.objects.filter(**{f"{field}__campaign": campaign}).values_list(
        field, flat=True
    ):
        counts[task] = counts.get(task, 0) + 1
    return sorted(counts.values())


def labels_by_order(campaign) -> list[tuple[int, int]]:
    """(main label, number of objects) of each image, in the dataset's image order."""
    rows = ImageLabels.objects.filter(campaign=campaign).order_by("image_id")
    return list(rows.values_list("main_label_id", "num_objects"))


@pytest.mark.django_db
def test_adaptive_campaign_collects_between_minimum_and_maximum_with_the_fixed_labels(
    make_campaign,
):
    fixed = make_campaign(CLASSES, 12, extra=2, seed=1)
    flow.run_stages(fixed, PIPELINE, EASY_CROWD)
    campaign = make_campaign(
        CLASSES, 12, extra=2, seed=1, contains_min_assignments=3, classify_min_assignments=3
    )
    summaries = flow.run_stages(campaign, PIPELINE, EASY_CROWD)

    grids = answers_per_task(ContainsAnswer, "grid", campaign)
    tasks = answers_per_task(ClassifyAnswer, "task", campaign)
    assert grids and tasks
    assert all(3 <= n <= 9 for n in grids + tasks)
    saved = 9 * (len(grids) + len(tasks)) - sum(grids) - sum(tasks)
    assert saved > 0, "an easy set settles some tasks early"
    assert min(tasks) == 3  # unanimous CLASSIFY answers stop at the minimum
    assert summaries["classify_answers"].rounds >= 2
    # Every task ended settled or at its maximum: nothing waits, nothing more to ask.
    for kind in adaptive.KINDS:
        assert adaptive.waiting(campaign, kind) == 0
        assert not adaptive.review(campaign, kind).extended
    assert labels_by_order(campaign) == labels_by_order(fixed)


@pytest.mark.django_db
def test_requests_are_recorded_once_per_answers_seen_and_invites_follow_them(make_campaign):
    campaign = make_campaign(CLASSES[:2], 12, extra=1, seed=2, contains_min_assignments=3)
    flow.run_stages(campaign, ["grids"])
    grids = ContainsGrid.objects.filter(campaign=campaign).count()
    # A lab annotator gets every grid while none has its minimum.
    assert len(invite_links(campaign, "ann", kinds=("contains",))) == grids
    EASY_CROWD.round("contains", campaign, None, adaptive.targets(campaign, "contains"))
    # The minimum is in everywhere: no open slot until the policy asks for more.
    assert invite_links(campaign, "ann", kinds=("contains",)) == []
    held = after_contains_answers.apply(args=[campaign.pk]).get()
    assert held["waiting"] == grids  # 3 answers are below the 6 stage 4 trusts
    requests = AnswerRequest.objects.filter(campaign=campaign)
    assert requests.count() == grids
    assert set(requests.values_list("answers_seen", "target")) == {(3, 6)}
    assert len(invite_links(campaign, "ann", kinds=("contains",))) == grids
    # Weighing the same answers again asks for nothing more.
    assert not adaptive.review(campaign, "contains").extended
    assert requests.count() == grids


def followup(*args: str) -> str:
    out = StringIO()
    call_command("followup", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_followup_asks_more_answers_on_ambiguous_images_then_reruns_their_stages(make_campaign):
    # 5 answers per grid: fewer than the 6 stage 4 trusts, so every image is ambiguous.
    campaign = make_campaign(CLASSES[:2], 12, extra=1, seed=4, contains_assignments=5)
    flow.run_stages(campaign, list(flow.CONTAINS), EASY_CROWD)
    ambiguous = ImageInclusion.objects.filter(campaign=campaign, category="ambiguous")
    assert ambiguous.count() == 24
    _, grids = ambiguous_grids(campaign)
    out = followup("ask", "--campaign", campaign.name, "--more", "2")
    assert f"24 ambiguous images in {len(grids)} grids: {2 * len(grids)} more answers" in out
    assert f"contains: {len(grids)} tasks wait for answers" in out
    # Asking again on the same answers asks for nothing more; re-running must wait.
    assert "0 more answers asked of 0 grids" in followup("ask", "--campaign", campaign.name)
    with pytest.raises(CommandError, match="wait for the answers asked of them"):
        followup("rerun", "--campaign", campaign.name)
    # The local crowd answers through the HIT pages, past the campaign's 5 per grid.
    EASY_CROWD.round("contains", campaign, None, adaptive.targets(campaign, "contains"))
    assert set(answers_per_task(ContainsAnswer, "grid", campaign)) == {7}
    out = followup("rerun", "--campaign", campaign.name)
    assert "inclusion:" in out and "classify_tasks:" in out
    assert not ambiguous.exists()
    assert ClassifyTask.objects.filter(campaign=campaign).exists()
    with pytest.raises(CommandError, match="1 to 20 more answers"):
        followup("ask", "--campaign", campaign.name, "--more", "0")
