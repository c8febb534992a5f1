"""Candidate sets and inclusion stored from hand-made selection frequencies."""

from __future__ import annotations

import pytest

from catalogue.classes import class_distance
from core.errors import MissingInput
from pipeline.models import CandidateLabel, ImageInclusion, SelectionFrequency, StageRun
from pipeline.stages.candidates import compute_candidates
from pipeline.stages.inclusion import compute_inclusion, inclusion_counts
from tests.builders import (
    EGYPTIAN_CAT,
    GOLF_BALL,
    LEMON,
    ORANGE,
    SOCCER_BALL,
    TABBY,
    TENNIS_BALL,
    TIGER_CAT,
    make_images,
)

pytestmark = pytest.mark.django_db


def store(campaign, image, votes: dict) -> None:
    SelectionFrequency.objects.bulk_create(
        [
            SelectionFrequency(
                campaign=campaign,
                image=image,
                label=label,
                selected=s,
                answers=n,
                frequency=s / n if n else None,
            )
            for label, (s, n) in votes.items()
        ]
    )


def test_rules_stored_with_rank(make_campaign, catalogue):
    c = {w: catalogue[w] for w in (TABBY, TIGER_CAT, EGYPTIAN_CAT, SOCCER_BALL, ORANGE, LEMON)}
    assert class_distance(c[TABBY], c[EGYPTIAN_CAT]) <= 5  # a near label
    assert class_distance(c[TABBY], c[SOCCER_BALL]) > 5  # a far one
    campaign = make_campaign([TABBY], 1, extra=0)
    (image,) = make_images(campaign.dataset, c[TABBY], 1)
    store(
        campaign,
        image,
        {
            c[TABBY]: (3, 9),  # rule 1, whatever its frequency
            c[TIGER_CAT]: (6, 9),  # >= 0.5: rule 2
            c[SOCCER_BALL]: (1, 9),  # seen and far: rule 3
            c[EGYPTIAN_CAT]: (2, 9),  # near: only as filler, rule 4
            c[ORANGE]: (0, 9),  # never seen: never a candidate
        },
    )
    result = compute_candidates(campaign)
    rows = list(
        CandidateLabel.objects.filter(campaign=campaign, image=image)
        .order_by("rank")
        .values_list("label", "rule", "rank")
    )
    assert rows == [
        (c[TABBY].pk, 1, 1),
        (c[TIGER_CAT].pk, 2, 2),
        (c[SOCCER_BALL].pk, 3, 3),
        (c[EGYPTIAN_CAT].pk, 4, 4),
    ]
    assert result.by_rule == {1: 1, 2: 1, 3: 1, 4: 1} and result.sizes == {4: 1}
    assert StageRun.objects.get(pk=result.run_id).stage == StageRun.Stage.CANDIDATES


def test_truncation_keeps_the_dataset_label(make_campaign, catalogue):
    labels = [TABBY, TIGER_CAT, EGYPTIAN_CAT, SOCCER_BALL, TENNIS_BALL, GOLF_BALL, ORANGE, LEMON]
    campaign = make_campaign([TABBY], 1, extra=0)
    (image,) = make_images(campaign.dataset, catalogue[TABBY], 1)
    # dataset label 1/9 <= 1/8: truncate to 6, keeping it although it ranks last
    votes = {catalogue[TABBY]: (1, 9)}
    votes |= {catalogue[w]: (8 - i, 9) for i, w in enumerate(labels[1:])}
    store(campaign, image, votes)
    result = compute_candidates(campaign)
    kept = set(CandidateLabel.objects.filter(image=image).values_list("label", flat=True))
    assert len(kept) == 6 and catalogue[TABBY].pk in kept
    assert catalogue[LEMON].pk not in kept and catalogue[ORANGE].pk not in kept
    assert result.truncated == {"dataset_sf_floor": 1}


def test_inclusion_categories_and_counts(make_campaign, catalogue):
    tabby, ball = catalogue[TABBY], catalogue[SOCCER_BALL]
    campaign = make_campaign([TABBY], 1, extra=0)
    easy, mislabeled, ambiguous, follow = make_images(campaign.dataset, tabby, 4)
    store(campaign, easy, {tabby: (8, 9), ball: (3, 9)})  # 8/9 > 2 x 3/9
    store(campaign, mislabeled, {tabby: (0, 9), ball: (5, 9)})
    store(campaign, ambiguous, {tabby: (4, 5), ball: (0, 9)})  # 5 answers < 6
    store(campaign, follow, {tabby: (6, 9), ball: (3, 9)})  # 6/9 is exactly 2 x 3/9
    result = compute_inclusion(campaign)
    stored = dict(ImageInclusion.objects.filter(campaign=campaign).values_list("image", "category"))
    # the campaign's own image (from make_campaign) has no frequencies: not categorised
    assert stored == {
        easy.pk: "easy",
        mislabeled.pk: "mislabeled",
        ambiguous.pk: "ambiguous",
        follow.pk: "follow_up",
    }
    expected = {"easy": 1, "mislabeled": 1, "ambiguous": 1, "follow_up": 1}
    assert result.counts == expected == inclusion_counts(campaign)


def test_reruns_replace_their_rows(make_campaign, catalogue):
    tabby, ball = catalogue[TABBY], catalogue[SOCCER_BALL]
    campaign = make_campaign([TABBY], 1, extra=0)
    (image,) = make_images(campaign.dataset, tabby, 1)
    store(campaign, image, {tabby: (8, 9), ball: (1, 9)})
    first_c, first_i = compute_candidates(campaign), compute_inclusion(campaign)
    SelectionFrequency.objects.filter(label=tabby).update(selected=0, frequency=0.0)
    second_c, second_i = compute_candidates(campaign), compute_inclusion(campaign)
    assert CandidateLabel.objects.filter(campaign=campaign).count() == second_c.candidates == 2
    assert not CandidateLabel.objects.filter(run_id=first_c.run_id).exists()
    assert ImageInclusion.objects.get(image=image).category == "mislabeled"
    assert first_i.counts["easy"] == 1 and second_i.counts["easy"] == 0


def test_nothing_to_read_is_a_clear_error(make_campaign):
    campaign = make_campaign([TABBY], 1)
    with pytest.raises(MissingInput, match="no selection frequencies"):
        compute_candidates(campaign)
    with pytest.raises(MissingInput, match="no selection frequencies"):
        compute_inclusion(campaign)
