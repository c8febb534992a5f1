"""The dashboard's probabilistic view: workers' estimated accuracy beside the control-based
verdict, and the pairs where the probability and the selection frequency disagree most."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dashboard.probabilistic import PAIRS_PER_PAGE
from pipeline.models import LabelProbability, SelectionFrequency, WorkerQuality
from pipeline.stages.dawid_skene import compute_probabilities
from simulation.sample_campaign import build_sample_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(catalogue, media_root):
    return build_sample_campaign(120, seed=5, n_models=2, write_files=False)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("researcher", password="pw", is_staff=True)
    client.force_login(user)
    return client


def test_before_the_stage_runs_the_view_says_how_to_compute_it(staff_client, campaign):
    LabelProbability.objects.filter(campaign=campaign).delete()
    response = staff_client.get(reverse("dashboard", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="probabilistic"' in html and "dawid_skene</code>" in html
    assert 'id="ds-pairs"' not in html


def test_workers_and_the_largest_disagreements_are_shown_a_page_at_a_time(staff_client, campaign):
    compute_probabilities(campaign)
    url = reverse("dashboard", args=[campaign.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    ds = response.context["ds"]
    html = response.content.decode()
    assert 'id="ds-workers"' in html and 'id="ds-pairs"' in html

    accuracies = [w.accuracy for w in ds["workers"]]
    assert accuracies == sorted(accuracies) and ds["workers_total"] == WorkerQuality.objects.count()
    assert {w.verdict.split(",")[0] for w in ds["workers"]} <= {"dropped", "kept", "not checked"}
    assert f"{ds['workers'][0].accuracy:.3f}" in html

    frequency = {
        (f.image_id, f.label_id): f.frequency
        for f in SelectionFrequency.objects.filter(campaign=campaign)
    }
    gaps = [
        abs(p.probability - frequency[(p.image_id, p.label_id)])
        for p in LabelProbability.objects.filter(campaign=campaign)
        if frequency.get((p.image_id, p.label_id)) is not None
    ]
    first = list(ds["pairs"])
    assert len(first) == PAIRS_PER_PAGE < ds["pairs"].paginator.count
    assert first[0].gap == pytest.approx(max(gaps))
    assert [p.gap for p in first] == sorted((p.gap for p in first), reverse=True)

    second = staff_client.get(url, {"ds_page": 2}).context["ds"]["pairs"]
    assert second.number == 2 and first[-1].gap >= second[0].gap
    for odd in ("999999", "nope"):  # any page asked for answers with a page
        assert staff_client.get(url, {"ds_page": odd}).status_code == 200
