"""`manage.py simulate_crowd`'s crowd options (--hit-rate, --false-rate, --spread, --think-ms):
checked before anything is stored, and passed to the answer models of both stages."""

from __future__ import annotations

import re
import statistics
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ContainsAnswer,
    ContainsSelection,
    GridItem,
    Worker,
)
from pipeline.stages.classify_tasks import create_classify_tasks
from pipeline.stages.grids import build_grids
from simulation import contains_model as simulate
from tests.builders import LEMON, ORANGE, TABBY
from tests.pipeline.classify_builders import FRUIT, follow_up
from tests.pipeline.classify_builders import make_campaign as classify_campaign

CLASSES = [ORANGE, LEMON, TABBY]


def simulate_crowd(campaign, *args: str) -> str:
    out = StringIO()
    call_command(
        "simulate_crowd", "--campaign", campaign.name, "--verbosity", "0", *args, stdout=out
    )
    return out.getvalue()


def contains_campaign(make_campaign):
    campaign = make_campaign(CLASSES, 12, extra=2)
    build_grids(campaign)
    return campaign


def selections(campaign) -> int:
    return ContainsSelection.objects.filter(answer__grid__campaign=campaign).count()


# --- bad values --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hit-rate", "1.5"], "--hit-rate is a probability between 0 and 1, not 1.5"),
        (["--false-rate", "-0.1"], "--false-rate is a probability between 0 and 1, not -0.1"),
        (["--hit-rate", "nan"], "--hit-rate is a probability between 0 and 1, not nan"),
        (["--spread", "2"], "--spread is a probability between 0 and 1, not 2.0"),
        (["--think-ms", "-5"], "--think-ms is a time in milliseconds, 0 or more, not -5.0"),
        (["--think-ms", "inf"], "--think-ms is a time in milliseconds, 0 or more, not inf"),
        (["--spammers", "1.5"], "--spammers for CONTAINS is a share of the crowd"),
        (["--spammer-kinds", "random,lazy"], "--spammer-kinds takes kinds among random,none"),
        (["--workers", "0"], "--workers must be at least 1, not 0"),
        (["--stage", "classify", "--hit-rate", "2"], "--hit-rate is a probability"),
        (["--stage", "classify", "--false-rate", "-1"], "--false-rate is a probability"),
        (["--stage", "classify", "--think-ms", "-1"], "--think-ms is a time in milliseconds"),
    ],
)
def test_a_bad_value_is_a_clear_error_and_stores_nothing(make_campaign, args, message):
    campaign = contains_campaign(make_campaign)
    with pytest.raises(CommandError, match=re.escape(message)):
        simulate_crowd(campaign, *args)
    assert not ContainsAnswer.objects.exists() and not ClassifyAnswer.objects.exists()
    assert not Assignment.objects.exists() and not Worker.objects.exists()


# --- CONTAINS ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_low_hit_rate_selects_fewer_images_than_a_high_one(make_campaign):
    sharp, blunt = contains_campaign(make_campaign), contains_campaign(make_campaign)
    common = ["--seed", "3", "--spammers", "0"]
    high = simulate_crowd(sharp, *common, "--hit-rate", "0.95")
    low = simulate_crowd(blunt, *common, "--hit-rate", "0.2")
    assert ContainsAnswer.objects.filter(grid__campaign=sharp).count() == (
        ContainsAnswer.objects.filter(grid__campaign=blunt).count()
    )
    assert 0 < selections(blunt) < 0.4 * selections(sharp)
    assert f"({selections(sharp)} selections)" in high
    assert f"({selections(blunt)} selections)" in low


@pytest.mark.django_db
@pytest.mark.parametrize("direct", [False, True])
def test_exact_rates_select_exactly_what_the_truth_says(make_campaign, direct):
    """Without spread, extra true labels or spammers, a hit rate of 1 and a false rate of 0
    select exactly the images whose dataset label is the query; the reverse rates select the
    others."""
    exact = ["--spread", "0", "--spammers", "0", "--extra-true", "0", *(["--direct"] * direct)]
    right, wrong = contains_campaign(make_campaign), contains_campaign(make_campaign)
    simulate_crowd(right, *exact, "--hit-rate", "1", "--false-rate", "0")
    simulate_crowd(wrong, *exact, "--hit-rate", "0", "--false-rate", "1")
    for campaign, holds in ((right, True), (wrong, False)):
        items = GridItem.objects.filter(grid__campaign=campaign)
        matching = (
            items.filter(image__label=F("grid__query"))
            if holds
            else items.exclude(image__label=F("grid__query"))
        )
        assert matching.exists()
        picked = ContainsSelection.objects.filter(answer__grid__campaign=campaign)
        assert set(picked.values_list("item", flat=True)) == set(
            matching.values_list("pk", flat=True)
        )
        assert picked.count() == matching.count() * campaign.contains_assignments


@pytest.mark.django_db
def test_think_time_follows_the_option_and_zero_records_none(make_campaign):
    slow, none = contains_campaign(make_campaign), contains_campaign(make_campaign)
    simulate_crowd(slow, "--spammers", "0", "--think-ms", "200")
    simulate_crowd(none, "--think-ms", "0", "--real-time", "1")  # nothing to sleep
    sizes = dict(
        GridItem.objects.filter(grid__campaign=slow)
        .values("grid")
        .annotate(n=Count("pk"))
        .values_list("grid", "n")
    )
    per_image = [
        duration / sizes[grid]
        for grid, duration in ContainsAnswer.objects.filter(grid__campaign=slow).values_list(
            "grid", "duration_ms"
        )
    ]
    assert 150 < statistics.median(per_image) < 270  # log-normal around the 200 ms asked
    answers = ContainsAnswer.objects.filter(grid__campaign=none)
    assert answers.exists() and not answers.exclude(duration_ms=None).exists()


def test_the_model_refuses_rates_out_of_range_and_a_crowd_without_think_time_has_none():
    for bad in ({"hit_rate": 1.2}, {"false_rate": -0.5}, {"ms_per_image": -1.0}):
        with pytest.raises(ValueError, match="must be|cannot be negative"):
            simulate.CrowdModel(**bad)
    rng = simulate.random.Random(0)
    (worker,) = simulate.make_crowd(1, 0.0, rng, simulate.CrowdModel(ms_per_image=0.0))
    assert simulate.think_time_ms(worker, 48, rng) is None


# --- CLASSIFY ----------------------------------------------------------------------------


def two_object_tasks(catalogue, name: str):
    campaign = classify_campaign(name, seed=5)
    orange, lemon, berry = (catalogue[w] for w in FRUIT)
    for i in range(8):
        follow_up(campaign, f"{name}_n07747607_with_n07749582_{i}", orange, [orange, lemon, berry])
    create_classify_tasks(campaign)
    return campaign


def labels_ticked(campaign) -> int:
    return ClassifyAnswerLabel.objects.filter(answer__task__campaign=campaign).count()


@pytest.mark.django_db
def test_classify_takes_the_hit_rate_false_rate_and_think_time(catalogue):
    sharp, blunt = two_object_tasks(catalogue, "sharp"), two_object_tasks(catalogue, "blunt")
    common = ["--stage", "classify", "--spammers", "0", "--false-rate", "0"]
    simulate_crowd(sharp, *common, "--hit-rate", "1", "--think-ms", "1000")
    simulate_crowd(blunt, *common, "--hit-rate", "0.05", "--think-ms", "0")
    answers = 8 * sharp.classify_assignments
    for campaign in (sharp, blunt):
        assert ClassifyAnswer.objects.filter(task__campaign=campaign).count() == answers
    # Both objects noticed nearly always, against one label (what a worker who noticed
    # nothing still ticks).
    assert labels_ticked(sharp) > 1.7 * answers
    assert labels_ticked(blunt) < 1.2 * answers
    # Three options: (2 + 3) x 1000 ms around the median; none at all with 0.
    durations = ClassifyAnswer.objects.filter(task__campaign=sharp).values_list(
        "duration_ms", flat=True
    )
    assert 3500 < statistics.median(durations) < 7000
    assert not ClassifyAnswer.objects.filter(task__campaign=blunt).exclude(duration_ms=None)
