"""The dashboard pages and chart downloads: login, formats, and what the page shows."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image as PILImage

from dashboard.analyses import campaign_analyses
from dashboard.charts import build_charts
from dashboard.sample import build_sample_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(catalogue, media_root):
    return build_sample_campaign(120, seed=3, n_models=2, write_files=True)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("researcher", password="pw", is_staff=True)
    client.force_login(user)
    return client


def test_dashboard_requires_staff_login(client, campaign):
    url = reverse("dashboard", args=[campaign.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    chart = reverse("dashboard-chart", args=[campaign.pk, "potential-labels", "png"])
    assert client.get(chart).status_code == 302
    user = get_user_model().objects.create_user("someone", password="pw", is_staff=False)
    client.force_login(user)
    assert client.get(url).status_code == 302


def test_dashboard_page_shows_progress_charts_lists_and_workers(staff_client, campaign):
    response = staff_client.get(reverse("dashboard", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    an = campaign_analyses(campaign)
    for name in build_charts(an):
        assert f'id="chart-{name}"' in html
        assert reverse("dashboard-chart", args=[campaign.pk, name, "csv"]) in html
    lazy = [n for n in build_charts(an) if n.startswith("confusion-model-")]
    assert len(lazy) == 2  # one per model, loaded as images when opened
    assert html.count("<svg") >= len(build_charts(an)) - len(lazy)
    assert "sample_model_0" in html and "sample_model_1" in html
    assert "Possibly mislabeled" in html and "simulated:" in html
    # the gallery's thumbnails are signed image URLs that serve
    ctx = response.context
    assert ctx["mislabeled_total"] > 0 and ctx["mislabeled"]
    thumb = ctx["mislabeled"][0].thumbnail
    assert staff_client.get(thumb).status_code == 200


def test_chart_endpoints_return_valid_png_svg_csv(staff_client, campaign):
    an = campaign_analyses(campaign)
    for name in (
        "potential-labels",
        "model-accuracy",
        "confusion-humans",
        "confusion-model-sample_model_1",
    ):
        png = staff_client.get(reverse("dashboard-chart", args=[campaign.pk, name, "png"]))
        assert png["Content-Type"] == "image/png"
        img = PILImage.open(io.BytesIO(png.content))
        img.verify()
        svg = staff_client.get(reverse("dashboard-chart", args=[campaign.pk, name, "svg"]))
        assert svg["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(svg.content)
        assert root.tag.endswith("svg")
        response = staff_client.get(reverse("dashboard-chart", args=[campaign.pk, name, "csv"]))
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        table = build_charts(an)[name].table
        assert rows[0] == list(table.columns) and len(rows) == len(table) + 1
    missing = reverse("dashboard-chart", args=[campaign.pk, "no-such-chart", "png"])
    assert staff_client.get(missing).status_code == 404


def test_model_accuracy_csv_matches_the_scores(staff_client, campaign):
    response = staff_client.get(
        reverse("dashboard-chart", args=[campaign.pk, "model-accuracy", "csv"])
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    an = campaign_analyses(campaign)
    scores = {s.model: s for s in an.models}
    assert {r["model"] for r in rows} == set(scores)
    for r in rows:
        iv = scores[r["model"]].accuracy[r["subset"]][r["metric"]]
        assert float(r["value"]) == pytest.approx(iv.value)
        assert float(r["low"]) <= float(r["value"]) <= float(r["high"])


def test_a_finished_stage_run_prewarms_the_dashboard(staff_client, campaign, settings):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotation.models import StageRun
    from pipeline.stages.runs import stage_run

    url = reverse("dashboard", args=[campaign.pk])
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        staff_client.get(url)
    cache.clear()
    settings.FINELABEL_DASHBOARD_PREWARM = True  # what a deployment with workers does
    with CaptureQueriesContext(connection), stage_run(campaign, StageRun.Stage.AGGREGATION):
        pass
    # The test's transaction never commits: run the on-commit hooks (the warm-up task,
    # eager in the test settings) as a commit would.
    callbacks = connection.run_on_commit[:]
    connection.run_on_commit.clear()
    for _, callback, _ in callbacks:
        callback()
    assert len(callbacks) == 1
    with CaptureQueriesContext(connection) as warm:
        response = staff_client.get(url)
    assert response.status_code == 200 and "<svg" in response.content.decode()
    # Analyses, charts and galleries came from the cache: only the live parts (progress,
    # costs, workers) hit the database.
    assert len(warm) <= len(cold) - 20, (len(warm), len(cold))
