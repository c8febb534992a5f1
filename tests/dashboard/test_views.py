"""The dashboard pages and chart downloads: login, formats, and what the page shows."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from PIL import Image as PILImage

from dashboard.analyses import campaign_analyses
from dashboard.charts import build_charts
from simulation.sample_campaign import build_sample_campaign
from tests.crowd.factories import make_grid
from tests.dashboard.test_costs import paid_campaign, publish_hit, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(catalogue, media_root):
    return build_sample_campaign(120, seed=3, n_models=2, write_files=True)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("researcher", password="pw", is_staff=True)
    client.force_login(user)
    return client


def test_dashboard_requires_login(client, campaign):
    url = reverse("dashboard", args=[campaign.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    chart = reverse("dashboard-chart", args=[campaign.pk, "potential-labels", "png"])
    assert client.get(chart).status_code == 302
    user = get_user_model().objects.create_user("someone", password="pw", is_staff=False)
    client.force_login(user)
    assert client.get(url).status_code == 404  # not theirs (tests/studio/test_roles.py)


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
    # Simulated workers, no HIT: nothing is paid.
    assert response.context["costs"] is None
    assert 'id="money-none"' in html and "no money involved" in html
    # the gallery's thumbnails are signed image URLs that serve
    ctx = response.context
    assert ctx["mislabeled_total"] > 0 and ctx["mislabeled"]
    thumb = ctx["mislabeled"][0].thumbnail
    assert staff_client.get(thumb).status_code == 200


def test_chart_endpoints_return_valid_png_svg_csv(staff_client, campaign):
    an = campaign_analyses(campaign)
    names = list(build_charts(an))
    assert {"confusion-people-main", "confusion-people-contains", "main-object-accuracy"} <= set(
        names
    )
    assert "confusion-model-sample_model_1" in names
    for name in names:  # every chart draws in both formats and its CSV is its table
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

    from pipeline.models import StageRun
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


def test_dashboard_shows_hits_assignments_and_money_of_an_mturk_campaign(staff_client, settings):
    """The figures of tests/dashboard/test_costs.py::paid_campaign, as the page shows them;
    more HITs and assignments cost no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crowd.models import Assignment

    settings.FINELABEL_MTURK_LIVE = False
    campaign = paid_campaign()
    url = reverse("dashboard", args=[campaign.pk])
    staff_client.get(url)  # fills the caches: the counts below are of the live parts
    with CaptureQueriesContext(connection) as before:
        response = staff_client.get(url)
    assert response.status_code == 200
    costs = response.context["costs"]
    assert (costs.hits_published, costs.hits_unpublished) == (3, 2)
    assert (costs.assignments_done, costs.assignments_expected) == (10, 45)
    assert (costs.spent, costs.committed, costs.projected_total) == (
        Decimal("1.992"),
        Decimal("2.112"),
        Decimal("7.128"),
    )
    html = response.content.decode()
    cards = {
        "hits-published": "3</div>HITs published, 2 tasks not yet",
        "assignments-done": "10 / 45</div>assignments done",
        "money-spent": "$1.99</div>spent",
        "money-committed": "$2.11</div>committed",
        "money-projected": "$7.13</div>projected total",
    }
    for card, shown in cards.items():
        assert f'<div class="card" id="{card}"><div class="big">{shown}</div>' in html
    assert "Sandbox: no real money." in html
    # Per stage: HITs published, not published, assignments done of expected, approved,
    # rejected, to review; spent, bonuses, committed, to publish, projected.
    rows = {
        "CONTAINS": ["2", "1", "8 / 27", "5", "1", "2"]
        + ["$1.80", "$0.60", "$1.44", "$2.16", "$5.40"],
        "CLASSIFY": ["1", "1", "2 / 18", "2", "0", "0"]
        + ["$0.19", "$0.00", "$0.67", "$0.86", "$1.73"],
    }
    for label, cells in rows.items():
        row = html.split(f"<tr><td>{label}</td>", 1)[1].split("</tr>", 1)[0]
        assert [c.split("</td>")[0].strip() for c in row.split("<td>")[2:]] == cells, label

    grid = make_grid(campaign, size=4, controls=1, seed=9)
    S = Assignment.Status
    work(publish_hit(campaign, grid), S.APPROVED, S.SUBMITTED, S.REJECTED)
    with CaptureQueriesContext(connection) as after:
        response = staff_client.get(url)
    assert response.context["costs"].hits_published == 4
    assert len(after) == len(before), (len(after), len(before))


def test_dashboard_shows_answers_waiting_for_mturk_and_those_never_counted(staff_client, campaign):
    from crowd.models import ContainsAnswer, Verification

    answers = ContainsAnswer.objects.filter(grid__campaign=campaign).order_by("pk")
    ids = list(answers.values_list("pk", flat=True)[:5])
    ContainsAnswer.objects.filter(pk__in=ids[:3]).update(verification=Verification.PENDING)
    ContainsAnswer.objects.filter(pk__in=ids[3:]).update(verification=Verification.UNCONFIRMED)
    html = staff_client.get(reverse("dashboard", args=[campaign.pk])).content.decode()
    assert "3 waiting for MTurk to confirm them (not counted yet)" in html
    assert "2 not confirmed by MTurk (never counted)" in html


def test_unmeasured_figures_read_as_a_dash_not_nan(staff_client, campaign):
    """With no selection frequency measured, a model's mean SF has no value: the cell says
    so, instead of "nan [nan, nan]"."""
    from django.core.cache import cache

    from pipeline.models import SelectionFrequency

    SelectionFrequency.objects.filter(campaign=campaign).delete()
    cache.clear()  # the analyses are kept per campaign
    response = staff_client.get(reverse("dashboard", args=[campaign.pk]))
    html = response.content.decode()
    models = html[html.index('id="models"') :]
    models = models[: models.index("</table>")]
    assert "sample_model_0" in models
    assert "nan" not in models.lower()
    # no mean, and how many images' top-1 was not measured
    assert re.search(r"<td>– \(\d+\)</td>", models)


def test_superclass_charts_show_the_whole_names(staff_client, campaign):
    """ "Implements, containers, misc. objects" is not cut to its first 18 characters."""
    an = campaign_analyses(campaign)
    assert "Implements, containers, misc. objects" in an.superclasses
    url = reverse("dashboard-chart", args=[campaign.pk, "confusion-people-main", "svg"])
    svg = ET.fromstring(staff_client.get(url).content)
    shown = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    for name in an.superclasses:
        for word in name.split():
            assert word in shown.split(), (name, word)
