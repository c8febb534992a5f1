"""The campaign page and its services: creating (ensemble, crowd, budget checked), cost and
control coverage before anything is published, adding controls, start, pause, resume, close."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from crowd.models import ContainsGrid
from pipeline.models import Campaign, PotentialLabel
from studio import lifecycle
from studio.planning import control_coverage, cost_estimate

pytestmark = pytest.mark.django_db


def new_form(dataset, **changes):
    form = {
        "name": "mine",
        "dataset": dataset.pk,
        "ensemble": "tiny",
        "crowd": "local",
        "contains_assignments": 9,
        "classify_assignments": 9,
        "contains_reward": "0.10",
        "classify_reward": "0.05",
        "mturk_budget": "",
    }
    return form | changes


def test_a_researcher_creates_a_campaign_they_own(client, people, dataset):
    client.force_login(people["owner"])
    response = client.post(reverse("studio-new"), new_form(dataset, contains_min_assignments=3))
    campaign = Campaign.objects.get(name="mine")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.owner == people["owner"] and campaign.contains_min_assignments == 3


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"ensemble": "nosuchensemble"}, "ensemble", "Unknown model ensemble"),
        ({"crowd": "sandbox"}, "mturk_budget", "Set the most"),
        ({"crowd": "live", "mturk_budget": "10"}, "crowd", "sandbox"),
        ({"mturk_budget": "10"}, "mturk_budget", "local crowd"),
        ({"mturk_budget": "0"}, "mturk_budget", "local crowd"),
        ({"contains_min_assignments": 12}, None, "contains_min"),
        ({"contains_assignments": "many"}, "contains_assignments", "whole number"),
        ({"mturk_budget": "-1", "crowd": "sandbox"}, "mturk_budget", "greater than or equal"),
    ],
)
def test_bad_settings_are_shown_in_the_form(client, people, dataset, changes, field, words):
    client.force_login(people["owner"])
    response = client.post(reverse("studio-new"), new_form(dataset, **changes))
    assert response.status_code == 200 and not Campaign.objects.exists()
    errors = response.context["form"].errors
    shown = " ".join(errors.get(field or "__all__", []))
    assert words.lower() in (shown or str(errors)).lower()


def test_the_admin_and_the_model_refuse_an_unknown_ensemble(dataset, people):
    admin = site._registry[Campaign]
    request = RequestFactory().post("/")
    request.user = people["staff"]
    form_class = admin.get_form(request)
    data = {"name": "x", "dataset": dataset.pk, "ensemble": "nosuchensemble"}
    form = form_class(data={**_admin_defaults(), **data})
    assert not form.is_valid() and "Unknown model ensemble" in str(form.errors["ensemble"])


def _admin_defaults() -> dict:
    """Every field the admin's form posts, at the model's defaults."""
    fields = {}
    for f in Campaign._meta.fields:
        if f.editable and f.has_default():
            fields[f.name] = f.get_default()
    return fields


def test_cost_and_coverage_are_shown_before_anything_is_published(client, people, campaign):
    campaign.mturk_budget, campaign.contains_reward = Decimal("1.00"), Decimal("0.10")
    campaign.save()
    cost = cost_estimate(campaign)
    contains = cost.stages[0]
    assert contains.estimated and contains.tasks > 0
    # 9 answers at $0.10 plus MTurk's 20% fee, per planned grid
    assert contains.at_most.total == contains.tasks * 9 * Decimal("0.12")
    assert cost.over_budget
    coverage = control_coverage(campaign)
    assert coverage.planned and coverage.short  # two pictures per class: too few controls
    assert all(row.controls < 5 for row in coverage.short)
    client.force_login(people["owner"])
    page = client.get(reverse("studio-campaign", args=[campaign.pk])).content.decode()
    assert "OVER BUDGET" in page and "MTurk fee (20%)" in page
    assert coverage.short[0].wnid in page


def test_controls_from_a_folder_cover_the_labels(client, people, campaign, controls_root):
    client.force_login(people["owner"])
    before = len(control_coverage(campaign).short)
    url = reverse("studio-controls", args=[campaign.pk])
    response = client.post(url, {"folder": str(controls_root / "set")})
    assert response.status_code == 302
    assert len(control_coverage(campaign).short) < before
    outside = client.post(url, {"folder": "/etc"})
    assert outside.status_code == 400 and "is not under" in outside.content.decode()
    assert client.post(url, {}).status_code == 400  # neither CSV nor folder


def test_controls_from_a_csv_of_urls_and_paths(client, people, campaign, controls_root):
    client.force_login(people["owner"])
    pictures = sorted((controls_root / "set").rglob("*.jpg"))[:3]
    rows = "path_or_url,label\n" + "".join(f"{p},{p.parent.name}\n" for p in pictures)
    manifest = _upload(rows)
    response = client.post(reverse("studio-controls", args=[campaign.pk]), {"manifest": manifest})
    assert response.status_code == 302
    assert campaign.dataset.images.filter(source__in=[str(p) for p in pictures]).count() == 3
    bad = _upload("path_or_url,label\n/etc/passwd,n07747607\n")
    response = client.post(reverse("studio-controls", args=[campaign.pk]), {"manifest": bad})
    assert response.status_code == 400 and "neither a file under" in response.content.decode()
    # The server fetches URLs of the allowed hosts only (none by default).
    internal = _upload("path_or_url,label\nhttp://127.0.0.1:6379/x.jpg,n07747607\n")
    response = client.post(reverse("studio-controls", args=[campaign.pk]), {"manifest": internal})
    assert response.status_code == 400 and "FINELABEL_CONTROLS_URL_HOSTS" in response.text
    assert campaign.dataset.images.filter(source__startswith="http").count() == 0
    nul = _upload("path_or_url,label\n\x00,\x00\n")
    response = client.post(reverse("studio-controls", args=[campaign.pk]), {"manifest": nul})
    assert response.status_code == 400
    garbage = _upload("\xff\xfe not a csv")
    response = client.post(reverse("studio-controls", args=[campaign.pk]), {"manifest": garbage})
    assert response.status_code == 400


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("controls.csv", text.encode("latin-1"), content_type="text/csv")


def test_start_pause_resume_close(client, people, campaign):
    client.force_login(people["owner"])
    act = lambda name, **data: client.post(  # noqa: E731
        reverse("studio-action", args=[campaign.pk, name]), data
    )
    assert act("start", random_weights="on").status_code == 302
    assert PotentialLabel.objects.filter(campaign=campaign).exists()
    assert ContainsGrid.objects.filter(campaign=campaign).exists()
    act("pause")
    campaign.refresh_from_db()
    assert campaign.paused_at is not None
    page = client.get(reverse("studio-campaign", args=[campaign.pk]))
    act("start")  # refused while paused, with a message
    refused = [str(m) for m in client.get(reverse("studio-list")).context["messages"]]
    assert any("resume it first" in m for m in refused)
    assert page.status_code == 200
    act("resume")
    campaign.refresh_from_db()
    assert campaign.paused_at is None
    act("close")
    campaign.refresh_from_db()
    assert campaign.closed_at is not None
    with pytest.raises(lifecycle.CampaignRefused, match="closed"):
        lifecycle.resume(campaign)
    assert act("explode").status_code == 404


def test_another_researcher_cannot_act_on_a_campaign(client, people, campaign):
    client.force_login(people["other"])
    assert client.post(reverse("studio-action", args=[campaign.pk, "close"])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.closed_at is None


def test_urls_of_allowed_hosts_pass_the_locator_check(tmp_path):
    from catalogue.imports.sources import ImportItem
    from studio.controls import ControlsRefused, check_locators

    allowed = [ImportItem("https://images.example.org/a.jpg", "n07747607")]
    check_locators(allowed, tmp_path, ("images.example.org",))
    with pytest.raises(ControlsRefused, match="allowed host"):
        check_locators(allowed, tmp_path, ("other.example.org",))
