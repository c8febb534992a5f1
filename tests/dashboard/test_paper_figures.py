"""The added and fixed analyses read from the database: CONTAINS votes behind Fig 24, class
pairs validated together (Figs 7b, 23), the two people's confusion matrices (Fig 10a), the
objects' members, superclass names, and the galleries of Figs 17 and 18."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crowd.models import QcStatus
from dashboard import figure_data as data
from dashboard import figures as analysis
from dashboard.analyses import PAIRS_KEPT, compute
from pipeline.models import ImageLabels, ImageObjectLabel, ModelPrediction, SelectionFrequency
from pipeline.stages.selection_frequencies import compute_frequencies
from simulation.sample_campaign import build_sample_campaign
from tests.builders import SOCCER_BALL, TABBY, TENNIS_BALL, answer, hand_grid, make_images, worker

pytestmark = pytest.mark.django_db


def test_contains_votes_give_the_stored_frequencies_and_subsample_five(make_campaign, catalogue):
    campaign = make_campaign([TABBY], 1, extra=0)
    tabby, ball = catalogue[TABBY], catalogue[SOCCER_BALL]
    tested = make_images(campaign.dataset, ball, 3)
    controls = make_images(campaign.dataset, tabby, 2)
    grid = hand_grid(campaign, tabby, tested, controls)
    other = hand_grid(campaign, catalogue[TENNIS_BALL], tested[:1], [])
    picks = [tested[:1], tested[:2], tested, [], tested[1:], tested[:1], [tested[2]], [], []]
    for k, images in enumerate(picks):
        kept = answer(grid, worker(f"w{k}"), images, controls_found=2)
        kept.qc_status = QcStatus.KEPT
        kept.save()
    answer(grid, worker("late"), tested)  # not judged by quality control: not counted
    lone = answer(other, worker("w0"), tested[:1])
    lone.qc_status = QcStatus.KEPT
    lone.save()
    compute_frequencies(campaign)
    stored = {
        (image, label): f
        for image, label, f in SelectionFrequency.objects.filter(campaign=campaign).values_list(
            "image_id", "label__index", "frequency"
        )
    }
    votes = data.contains_votes(campaign)
    assert set(votes) == {grid.pk, other.pk} and len(votes[grid.pk].answers) == 9
    assert analysis.subsampled_frequencies(votes, annotators=9) == stored
    five = analysis.subsampled_frequencies(votes, annotators=5, seed=0)
    assert five.keys() == stored.keys()
    assert all(round(5 * five[(i.pk, tabby.index)], 9) % 1 == 0 for i in tested)
    assert five[(tested[0].pk, catalogue[TENNIS_BALL].index)] == 1.0  # its grid has 1 answer


@pytest.fixture
def sample(catalogue, media_root):
    campaign = build_sample_campaign(120, seed=3, n_models=2, write_files=True)
    return campaign, compute(campaign, "v")


def test_pairs_are_labels_validated_together_in_contains(sample):
    campaign, an = sample
    valid: dict[int, list[int]] = {}
    rows = SelectionFrequency.objects.filter(campaign=campaign, frequency__gte=0.5)
    for image, label in rows.values_list("image_id", "label__index"):
        valid.setdefault(image, []).append(label)
    counts = Counter(p for labels in valid.values() for p in combinations(sorted(labels), 2))
    names = data.class_names()
    expected = {(names[a], names[b], n) for (a, b), n in counts.items()}
    got = {(p.a, p.b, p.images) for p in an.pairs}
    assert got <= expected and len(got) == min(PAIRS_KEPT, len(expected)) > 0
    assert [p.images for p in an.pairs] == sorted(counts.values(), reverse=True)[: len(got)]
    # The models' top-1 accuracy on the first pair's images, counted here.
    first = an.pairs[0]
    index_of = {name: index for index, name in names.items()}
    pair = (index_of[first.a], index_of[first.b])
    images = [i for i, labels in valid.items() if set(pair) <= set(labels)]
    for model, accuracy in first.accuracy.items():
        rows = ModelPrediction.objects.filter(model_name=model, image_id__in=images)
        hits = [
            labels[0] == own for labels, own in rows.values_list("labels", "image__label__index")
        ]
        assert accuracy == pytest.approx(sum(hits) / len(hits))


def test_people_matrices_members_and_superclass_names(sample):
    campaign, an = sample
    assert "invertebrates" in an.superclasses and "inverterbrates" not in an.superclasses
    aggregated = ImageLabels.objects.filter(campaign=campaign).count()
    assert an.confusion_main.sum() == aggregated
    measured = SelectionFrequency.objects.filter(campaign=campaign).values("image").distinct()
    assert an.confusion_contains.sum() == measured.count()
    assert not (an.confusion_main == an.confusion_contains).all()
    truths = {t.image: t for t in data.image_truths(campaign)}
    shared = ImageObjectLabel.objects.filter(
        object__image_labels__campaign=campaign, object__index=0
    ).values_list("object__image_labels__image_id", "label__index")
    members: dict[int, set[int]] = {}
    for image, label in shared:
        members.setdefault(image, set()).add(label)
    assert any(len(m) > 1 for m in members.values())  # confusable images: two labels
    for image, labels in members.items():
        assert truths[image].object_members[0] == labels


def test_galleries_of_figures_17_and_18(sample, client):
    campaign, an = sample
    user = get_user_model().objects.create_user("r", password="pw", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("dashboard", args=[campaign.pk]))
    ctx = response.context
    labels = ImageLabels.objects.filter(campaign=campaign)
    assert ctx["multi_object_total"] == labels.filter(num_objects__gt=1).count() > 0
    differs = [m != own for m, own in labels.values_list("main_label", "image__label")]
    assert ctx["main_differs_total"] == sum(differs) > 0
    assert ctx["multi_object"][0].note.startswith("objects: ")
    assert ctx["main_differs"][0].note.startswith("main label: ")
    assert ctx["pairs"][0].images == an.pairs[0].images
    html = response.content.decode()
    assert 'id="dataset-label-row"' in html and "Multi-object images" in html
