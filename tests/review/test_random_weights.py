"""Predictions of untrained (random) weights are marked where they are shown: the score rows
(dashboard and API) and the potential-labels histogram (campaign admin and dashboard chart,
which also name the campaign's top-k), on PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Dataset
from models_zoo.registry import ensemble_models
from pipeline.models import Campaign, ModelPrediction, StageRun
from pipeline.selectors import RANDOM_WEIGHTS_NOTE, potential_labels_source
from pipeline.stages.potential_labels import ChunkResult, RunOptions, finish, run_params
from pipeline.stages.runs import stage_run
from review import selectors
from review.models import GroundTruthSet, TruthLabel
from tests.pipeline.labels_data import by_index, make_image
from tests.review.factories import predict, staff

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


# --- Score rows ----------------------------------------------------------------------------


@pytest.fixture
def scored(catalogue):
    """Three images whose imported truth is their dataset label; `rnd` predicts them with
    random weights, `real` with real ones, and `mixed` has both kinds on every image (the
    real ones win, so it is not marked)."""
    classes = by_index()
    dataset = Dataset.objects.create(name="rw")
    campaign = Campaign.objects.create(name="rw-c", dataset=dataset)
    truth = GroundTruthSet.objects.create(name="imp", kind=GroundTruthSet.Kind.IMPORTED)
    images = [make_image(dataset, classes[100 + n]) for n in range(3)]
    for n, image in enumerate(images):
        TruthLabel.objects.create(
            truth_set=truth, image=image, label=classes[100 + n], status="correct"
        )
        predict("real", image, 100 + n, 1)
        predict("mixed", image, 100 + n, 1)
        for model in ("rnd", "mixed"):
            ModelPrediction.objects.create(
                image=image,
                model_name=model,
                weights="random",
                random_weights=True,
                labels=[7, 8],
                probabilities=[0.6, 0.4],
            )
    return campaign


def test_score_rows_mark_random_weights(scored):
    report = selectors.compute_scores(
        ["real", "rnd", "mixed"], [GroundTruthSet.objects.get(name="imp")], scored.dataset
    )
    marked = {(r["predictor"], r["slice"]): r["random_weights"] for r in report.rows()}
    assert marked[("rnd", "all")] is True
    assert marked[("real", "all")] is False
    assert marked[("mixed", "all")] is False  # real predictions won on every image
    assert {r["random_weights"] for r in report.rows() if r["predictor"] == "rnd"} == {True}


def test_api_scores_mark_random_weights(scored):
    client = client_for(staff("ann"))
    response = client.get("/api/scores/", {"dataset": scored.dataset_id})
    assert response.status_code == 200
    rows = {(r["predictor"], r["slice"]): r for r in response.json()["results"]}
    assert rows[("rnd", "all")]["random_weights"] is True
    assert rows[("real", "all")]["random_weights"] is False
    assert rows[("real", "all")]["accuracy"] == 1.0
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    row = schema["components"]["schemas"]["ScoreRow"]["properties"]["random_weights"]
    assert row["type"] == "boolean" and "untrained (random) weights" in row["description"]


def test_dashboard_scores_badge_random_weights(scored, client):
    client.force_login(staff("ann"))
    page = client.get(reverse("dashboard", args=[scored.pk])).content.decode()
    page = re.sub(r">\s+<", "><", page)
    cell = re.search(r"<td>rnd(.*?)</td><td>all</td>", page)
    assert cell is not None and "random weights" in cell.group(1)
    assert "<td>real</td><td>all</td>" in page
    assert "<td>mixed</td><td>all</td>" in page


# --- Potential labels ----------------------------------------------------------------------


def potential_labels(random_weights: bool, top_k: int) -> Campaign:
    """A campaign of the tiny ensemble whose potential labels the stage's own finishing step
    built from stored predictions of real or random weights."""
    classes = by_index()
    dataset = Dataset.objects.create(name=f"pl-{random_weights}")
    campaign = Campaign.objects.create(
        name=f"pl-c-{random_weights}", dataset=dataset, ensemble="tiny", top_k=top_k
    )
    for n in range(4):
        image = make_image(dataset, classes[n])
        for m, model in enumerate(ensemble_models("tiny")):
            ModelPrediction.objects.create(
                image=image,
                model_name=model,
                weights="random" if random_weights else "file",
                random_weights=random_weights,
                labels=[10 * m + j for j in range(max(5, top_k))],
                probabilities=[0.1] * max(5, top_k),
            )
    options = RunOptions.for_campaign(campaign, random_weights=random_weights)
    params = run_params(campaign, options)
    with stage_run(campaign, StageRun.Stage.POTENTIAL_LABELS, params) as run:
        finish(campaign, run, random_weights, ChunkResult())
    # Changing the campaign afterwards does not change what the stored labels were built with.
    Campaign.objects.filter(pk=campaign.pk).update(top_k=top_k + 1)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("random_weights,top_k", [(True, 3), (False, 7)])
def test_potential_labels_source(catalogue, random_weights, top_k):
    campaign = potential_labels(random_weights, top_k)
    source = potential_labels_source(campaign)
    assert (source.top_k, source.random_weights) == (top_k, random_weights)


def test_potential_labels_source_without_a_run(catalogue):
    campaign = potential_labels(True, 3)
    campaign.potential_labels.update(run=None)
    source = potential_labels_source(campaign)
    assert (source.top_k, source.random_weights) == (4, True)  # the campaign's, the data's


@pytest.mark.parametrize("random_weights,top_k", [(True, 3), (False, 7)])
def test_campaign_admin_histogram_marks_random_weights(
    catalogue, admin_client, random_weights, top_k
):
    campaign = potential_labels(random_weights, top_k)
    page = admin_client.get(reverse("admin:pipeline_campaign_change", args=[campaign.pk]))
    text = html.unescape(page.content.decode())
    assert "<th>labels</th><th>images</th>" in text  # the histogram is there
    assert f"top-{top_k} predictions and the dataset label" in text
    assert (RANDOM_WEIGHTS_NOTE in text) is random_weights


@pytest.mark.parametrize("random_weights,top_k", [(True, 3), (False, 7)])
def test_dashboard_potential_labels_caption(catalogue, client, random_weights, top_k):
    campaign = potential_labels(random_weights, top_k)
    client.force_login(staff("ann"))
    page = client.get(reverse("dashboard", args=[campaign.pk])).content.decode()
    figure = re.search(
        r'id="chart-potential-labels".*?<p class="caption">(.*?)</p>', page, re.DOTALL
    )
    assert figure is not None
    caption = html.unescape(figure.group(1))
    assert f"Union of the models' top-{top_k} predictions and the dataset label." in caption
    assert "top-5" not in caption
    assert (RANDOM_WEIGHTS_NOTE in caption) is random_weights


@pytest.mark.parametrize("random_weights", [True, False])
def test_downloaded_potential_labels_chart_marks_random_weights(catalogue, client, random_weights):
    campaign = potential_labels(random_weights, 5)
    client.force_login(staff("ann"))

    def download(fmt: str) -> str:
        url = reverse("dashboard-chart", args=[campaign.pk, "potential-labels", fmt])
        response = client.get(url)
        assert response.status_code == 200
        return b"".join(response).decode() if fmt != "png" else ""

    assert (RANDOM_WEIGHTS_NOTE in html.unescape(download("svg"))) is random_weights
    assert ("random (untrained)" in download("csv")) is random_weights
