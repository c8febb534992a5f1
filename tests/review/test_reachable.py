"""The expert review reachable from the dashboard, the REST API, the export and the admin,
with the API's visibility rules, on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Dataset
from pipeline.models import Campaign
from review import evaluation as ev
from review import services
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)
from tests.pipeline.labels_data import by_index, make_image
from tests.review.factories import predict, staff

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_ENDPOINTS = ["ground-truth-sets", "review-items", "evaluation-slices", "human-sessions"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def decide(item: ReviewItem, verdict: str, *reviewers, **mistake) -> None:
    for reviewer in reviewers:
        services.cast_vote(item, reviewer, verdict, **mistake)


@pytest.fixture
def world(catalogue, settings):
    """Alice's dataset: five images predicted by m1 as class 10. The imported set says a0 is
    right, a1 wrong (a1 is also flagged problematic, so scored apart), a4 wrong, and names
    another label for a3 (so m1's a3 is unreviewed); the panel (of two here) decides a2
    correct. Bob's dataset: one image with a review item."""
    settings.FINELABEL_REVIEW_PANEL_SIZE = 2
    classes = by_index()
    alice = User.objects.create_user("alice", password="x")
    bob = User.objects.create_user("bob", password="x")
    ann, ben = staff("ann"), staff("ben")
    data_a, data_b = Dataset.objects.create(name="a"), Dataset.objects.create(name="b")
    campaign = Campaign.objects.create(name="alice-c", dataset=data_a, owner=alice)
    Campaign.objects.create(name="bob-c", dataset=data_b, owner=bob)
    images = [make_image(data_a, classes[10 + n]) for n in range(5)]
    for image in images:
        predict("m1", image, 10, 11)
    imported = GroundTruthSet.objects.create(name="imp", kind=GroundTruthSet.Kind.IMPORTED)
    for image, label, status in [
        (0, 10, "correct"),
        (1, 10, "wrong"),
        (1, 11, "correct"),
        (1, 12, "unclear"),
        (3, 13, "correct"),
        (4, 10, "wrong"),
        (4, 14, "correct"),
    ]:
        TruthLabel.objects.create(
            truth_set=imported, image=images[image], label=classes[label], status=status
        )
    items = [ReviewItem.objects.create(image=i, label=classes[10]) for i in images[2:4]]
    decide(items[0], "correct", ann, ben)
    services.cast_vote(items[1], ann, "incorrect", severity="major", category="fine_grained")
    services.cast_vote(items[1], ann, "unclear")  # a changed vote: the old one is kept
    services.set_flags(images[1], ann, ["drawing"])
    other = make_image(data_b, classes[20])
    ReviewItem.objects.create(image=other, label=classes[21])
    major = EvaluationSlice.objects.create(name="major", description="hard ones")
    major.images.set([images[1], images[2], other])
    session = HumanSession.objects.create(name="s1", labeller=alice, dataset=data_a)
    HumanPick.objects.create(session=session, image=images[0], label=classes[10], duration_ms=900)
    return {
        "alice": alice,
        "bob": bob,
        "ann": ann,
        "ben": ben,
        "campaign": campaign,
        "images": images,
        "items": items,
        "other": other,
        "classes": classes,
    }


# --- Dashboard -----------------------------------------------------------------------------


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r">\s+<", "><", response.content.decode())


def test_dashboard_section_shows_queues_links_and_scores(world, client):
    client.force_login(world["ann"])
    url = reverse("dashboard", args=[world["campaign"].pk])
    page = _page(client, url)
    assert "Expert review and evaluation" in page
    for name in ("review-next", "review-discussion", "human-sessions"):
        assert f'href="{reverse(name)}"' in page
    assert reverse("campaign-ground-truth-export", args=[world["campaign"].pk]) in page
    # m1: right on a0 and a2, wrong on a1, a3 unreviewed: 2 of 3, the interval from the core.
    low, high = ev.clopper_pearson(2, 3)
    assert (
        f"<td>m1</td><td>all</td><td>66.7%</td><td>[{100 * low:.1f}, {100 * high:.1f}]</td>" in page
    )
    assert "<td>m1</td><td>all</td><td>66.7%</td><td>[" in page
    assert "<td>3</td><td>0</td><td>1</td>" in page  # scored, unclear, unreviewed
    assert "major" in page  # the evaluation slice
    # A new decision changes the version: the cached table is recomputed (3 of 4).
    decide(world["items"][1], "correct", world["ben"])
    services.cast_vote(world["items"][1], world["ann"], "correct")
    page = _page(client, url)
    assert "<td>m1</td><td>all</td><td>75.0%</td>" in page


def test_dashboard_scores_wait_for_the_link_on_a_large_dataset(world, client, settings):
    from dashboard import review

    client.force_login(world["ann"])
    url = reverse("dashboard", args=[world["campaign"].pk])
    old = review.INLINE_SCORING_IMAGES
    review.INLINE_SCORING_IMAGES = 1
    try:
        page = _page(client, url)
        assert "Compute the scores" in page and "<td>m1</td><td>all</td>" not in page
        page = _page(client, url + "?scores=1")
        assert "<td>m1</td><td>all</td><td>66.7%</td>" in page
    finally:
        review.INLINE_SCORING_IMAGES = old


# --- API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*NEW_ENDPOINTS, "scores", "campaigns/{c}/export/reviews"])
def test_review_endpoints_require_a_token(world, path):
    url = "/api/" + path.format(c=world["campaign"].pk) + "/"
    assert APIClient().get(url).status_code == 401


def test_review_items_carry_votes_and_outcome_and_respect_visibility(world):
    body = client_for(world["alice"]).get("/api/review-items/").json()
    ids = {row["id"] for row in body["results"]}
    assert ids == {item.pk for item in world["items"]}  # not bob's item
    decided = next(r for r in body["results"] if r["id"] == world["items"][0].pk)
    assert (decided["state"], decided["decision"]) == ("decided", "correct")
    assert sorted(v["reviewer"] for v in decided["votes"]) == ["ann", "ben"]
    changed = next(r for r in body["results"] if r["id"] == world["items"][1].pk)
    assert [(v["verdict"], v["superseded"]) for v in changed["votes"]] == [
        ("incorrect", True),
        ("unclear", False),
    ]
    staff_ids = {
        r["id"] for r in client_for(world["ann"]).get("/api/review-items/").json()["results"]
    }
    assert len(staff_ids) == 3
    state = client_for(world["alice"]).get("/api/review-items/?state=decided").json()
    assert [r["id"] for r in state["results"]] == [world["items"][0].pk]


def test_ground_truth_per_image(world):
    alice = client_for(world["alice"])
    sets = {s["name"]: s for s in alice.get("/api/ground-truth-sets/").json()["results"]}
    assert set(sets) == {"imp", "expert"}
    assert sets["imp"]["label_count"] == 7 and sets["imp"]["image_count"] == 4
    rows = alice.get("/api/ground-truth-sets/imp/images/").json()["results"]
    by_id = {r["id"]: r for r in rows}
    second = by_id[str(world["images"][1].public_id)]
    assert [label["index"] for label in second["correct"]] == [11]
    assert [label["index"] for label in second["wrong"]] == [10]
    assert [label["index"] for label in second["unclear"]] == [12]
    assert second["problematic"] == ["drawing"]
    assert client_for(world["bob"]).get("/api/ground-truth-sets/imp/images/").json()["count"] == 0


def test_slices_sessions_and_scores(world):
    alice = client_for(world["alice"])
    major = alice.get("/api/evaluation-slices/major/").json()
    assert major["image_count"] == 2  # bob's image is not alice's to see
    images = alice.get("/api/evaluation-slices/major/images/").json()["results"]
    assert {r["id"] for r in images} == {str(i.public_id) for i in world["images"][1:3]}
    sessions = alice.get("/api/human-sessions/").json()["results"]
    assert [(s["name"], s["pick_count"], s["predictor"]) for s in sessions] == [
        ("s1", 1, "human:s1")
    ]
    dataset = world["campaign"].dataset_id
    assert alice.get("/api/scores/").status_code == 400  # a dataset is required
    other = world["other"].dataset_id
    assert alice.get(f"/api/scores/?dataset={other}").status_code == 400
    body = alice.get(f"/api/scores/?dataset={dataset}&predictor=m1").json()
    assert body["truth_sets"] == ["imp", "expert"]
    row = next(r for r in body["results"] if r["slice"] == "all")
    low, high = ev.clopper_pearson(2, 3)
    assert (row["n"], row["right"], row["unreviewed"]) == (3, 2, 1)
    assert row["accuracy"] == pytest.approx(2 / 3)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    human = alice.get(f"/api/scores/?dataset={dataset}&predictor=human:s1&truth_set=imp").json()
    assert next(r for r in human["results"] if r["slice"] == "all")["right"] == 1
    assert alice.get("/api/scores/?dataset=1&truth_set=nope").status_code == 400


def test_schema_validates_with_the_review_endpoints(world, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in [*NEW_ENDPOINTS, "scores"]:
        assert f"/api/{path}/:" in text
    assert "/api/campaigns/{id}/export/ground-truth/:" in text


def _grow(world, extra: int) -> None:
    classes = world["classes"]
    dataset = world["campaign"].dataset
    for n in range(extra):
        image = make_image(dataset, classes[30 + n])
        item = ReviewItem.objects.create(image=image, label=classes[40 + n])
        decide(item, "correct", world["ann"], world["ben"])
        services.set_flags(image, world["ann"], ["edited"])


@pytest.mark.parametrize(
    "path", ["/api/review-items/", "/api/ground-truth-sets/expert/images/", "/api/human-sessions/"]
)
def test_list_endpoints_run_a_fixed_number_of_queries(world, path):
    client = client_for(world["alice"])
    client.get(path)  # warm: the token's user, content types
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    _grow(world, 4)
    with CaptureQueriesContext(connection) as large:
        body = client.get(path).json()
    assert body["count"] >= 1
    assert len(large) == len(small)


# --- Export --------------------------------------------------------------------------------


def _stored_truth(dataset_id: int) -> dict[tuple[str, str], dict[str, list[int]]]:
    stored: dict = {}
    for row in TruthLabel.objects.filter(image__dataset_id=dataset_id).select_related(
        "truth_set", "image", "label"
    ):
        key = (row.truth_set.name, str(row.image.public_id))
        stored.setdefault(key, {"correct": [], "wrong": [], "unclear": []})[row.status].append(
            row.label.index
        )
    return {k: {s: sorted(v) for s, v in labels.items()} for k, labels in stored.items()}


def test_ground_truth_export_matches_the_stored_rows(world, tmp_path):
    target = tmp_path / "truth.jsonl"
    call_command(
        "export_labels",
        "--campaign",
        str(world["campaign"].pk),
        "--what",
        "ground-truth",
        "--format",
        "jsonl",
        "--output",
        str(target),
        verbosity=0,
    )
    records = [json.loads(line) for line in target.read_text().splitlines()]
    exported = {
        (r["truth_set"], r["image_id"]): {s: r[s] for s in ("correct", "wrong", "unclear")}
        for r in records
    }
    assert exported == _stored_truth(world["campaign"].dataset_id)
    flagged = [r for r in records if r["problematic"]]
    assert [(r["image_id"], r["problematic"]) for r in flagged] == [
        (str(world["images"][1].public_id), ["drawing"])
    ]
    # The API streams the same rows as CSV.
    response = client_for(world["alice"]).get(
        f"/api/campaigns/{world['campaign'].pk}/export/ground-truth/?format=csv"
    )
    assert response.status_code == 200 and response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {(r["truth_set"], r["image_id"]): r["correct"] for r in rows} == {
        key: " ".join(map(str, value["correct"])) for key, value in exported.items()
    }


def test_review_votes_export_keeps_every_vote(world):
    out = StringIO()
    call_command(
        "export_labels",
        "--campaign",
        str(world["campaign"].pk),
        "--what",
        "reviews",
        "--format",
        "csv",
        "--output",
        "-",
        stdout=out,
        verbosity=0,
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    stored = ReviewVote.objects.filter(item__image__dataset=world["campaign"].dataset)
    assert sorted(int(r["vote_id"]) for r in rows) == sorted(stored.values_list("pk", flat=True))
    superseded = [r for r in rows if r["superseded"] == "true"]
    assert [(r["verdict"], r["severity"], r["category"]) for r in superseded] == [
        ("incorrect", "major", "fine_grained")
    ]
    response = client_for(world["alice"]).get(
        f"/api/campaigns/{world['campaign'].pk}/export/reviews/?format=jsonl"
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == len(rows)
    bad = client_for(world["alice"]).get(
        f"/api/campaigns/{world['campaign'].pk}/export/reviews/?format=imagenet-multilabel"
    )
    assert bad.status_code == 400 and "format" in json.loads(bad.content)["error"]


def test_review_export_refuses_a_label_format(world):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="jsonl or csv"):
        call_command(
            "export_labels",
            "--campaign",
            str(world["campaign"].pk),
            "--what",
            "reviews",
            "--format",
            "json",
            "--output",
            "-",
            verbosity=0,
        )


# --- Admin ---------------------------------------------------------------------------------


def test_admin_links_campaign_and_dataset_to_the_review(world, client):
    admin_user = User.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    campaign = world["campaign"]
    page = client.get(reverse("admin:pipeline_campaign_change", args=[campaign.pk])).content
    page = page.decode()
    assert reverse("review-next") in page and reverse("review-discussion") in page
    assert f"{reverse('score-list')}?dataset={campaign.dataset_id}" in page
    datasets = client.get(reverse("admin:catalogue_dataset_changelist")).content.decode()
    link = f"?image__dataset__id__exact={campaign.dataset_id}"
    assert link in datasets.replace("&amp;", "&")
    for model in ("reviewitem", "truthlabel"):
        listed = client.get(reverse(f"admin:review_{model}_changelist") + link)
        assert listed.status_code == 200 and "?e=1" not in listed.get("Location", "")
    for model in (
        "groundtruthset",
        "truthlabel",
        "reviewitem",
        "reviewvote",
        "problemflag",
        "classguide",
        "evaluationslice",
        "humansession",
        "humanpick",
    ):
        assert client.get(reverse(f"admin:review_{model}_changelist")).status_code == 200
