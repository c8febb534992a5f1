"""The per-class pages (Tsipras et al., Figs 6, 19, 20, 25) and the review section's added
figures (Shankar et al.'s Fig 4, Vasudevan et al.'s WordNet distance by category and the
accuracy before and after the review), on a sample campaign."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import LabelClass
from pipeline.models import ImageLabels
from review.models import MistakeCategory, ReviewItem, Verdict
from review.truth import record_expert
from simulation.sample_campaign import build_sample_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(catalogue, media_root):
    return build_sample_campaign(60, seed=5, n_models=2, write_files=True)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_user("researcher", password="pw", is_staff=True)
    client.force_login(user)
    return client


def test_per_class_page_counts_each_class_of_the_aggregated_images(staff_client, campaign):
    response = staff_client.get(reverse("dashboard-classes", args=[campaign.pk]))
    assert response.status_code == 200
    per_class = Counter(
        ImageLabels.objects.filter(campaign=campaign).values_list("image__label__index", flat=True)
    )
    rows = response.context["rows"]
    assert {r["label"]: r["images"] for r in rows} == dict(per_class)
    assert [r["images"] for r in rows] == sorted(per_class.values(), reverse=True)
    html = response.content.decode()
    assert "(Fig. 6)" in html and "<svg" in html
    label = rows[0]["label"]
    detail = staff_client.get(reverse("dashboard-class", args=[campaign.pk, label]))
    assert detail.status_code == 200
    assert detail.context["total"] == per_class[label]
    assert len(detail.context["items"]) == per_class[label]
    assert staff_client.get(detail.context["items"][0]["thumbnail"]).status_code == 200


def test_per_class_page_bad_input(staff_client, campaign):
    url = reverse("dashboard-classes", args=[campaign.pk])
    assert staff_client.get(url + "?sort=nothing").status_code == 400
    assert staff_client.get(url + "?sort=dataset_sf&order=asc").status_code == 200
    assert staff_client.get(reverse("dashboard-class", args=[campaign.pk, 5000])).status_code == 404
    missing = LabelClass.objects.exclude(
        index__in=campaign.dataset.images.values_list("label__index", flat=True)
    ).first()
    empty = staff_client.get(reverse("dashboard-class", args=[campaign.pk, missing.index]))
    assert empty.status_code == 200 and empty.context["row"] is None
    assert (
        staff_client.get(reverse("dashboard-classes", args=[campaign.pk + 99])).status_code == 404
    )


def test_review_section_shows_fig4_distances_and_the_review_effect(staff_client, campaign):
    call_command("import_ground_truth", "--campaign", str(campaign.pk), stdout=StringIO())
    classes = {c.index: c for c in LabelClass.objects.filter(index__in=[151, 152, 817])}
    image = campaign.dataset.images.first()
    image.label = classes[151]  # a Chihuahua
    image.save(update_fields=["label"])
    for label, category in ((152, "fine_grained"), (817, "spurious")):
        ReviewItem.objects.create(
            image=image,
            label=classes[label],
            state=ReviewItem.State.DECIDED,
            decision=Verdict.INCORRECT,
            severity="minor",
            category=category,
        )
        record_expert(image.pk, classes[label].pk, "wrong")
    response = staff_client.get(reverse("dashboard", args=[campaign.pk]))
    assert response.status_code == 200
    review = response.context["review"]
    names = dict(MistakeCategory.choices)
    # Japanese spaniel and Chihuahua are both toy dogs: siblings, 1 step up.
    fine = review["distances"][names["fine_grained"]]
    assert (fine["mistakes"], fine["histogram"]) == (1, {"1": 1})
    spurious = review["distances"][names["spurious"]]
    assert spurious["mistakes"] == 1 and spurious["median"] > 3
    html = response.content.decode()
    assert 'id="top1-vs-multilabel"' in html and 'id="mistake-distances"' in html
    all_rows = [r for r in review["rows"] if r["slice"] == "all"]
    assert {r["predictor"] for r in review["effect"]} == {r["predictor"] for r in all_rows}
    for row in review["effect"]:
        assert row["after"] == next(
            r["accuracy"] for r in all_rows if r["predictor"] == row["predictor"]
        )
