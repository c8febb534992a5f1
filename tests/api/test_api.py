"""The REST API: authentication, who sees what, filters, pagination, nested image data with a
fixed number of queries, workers' figures, the schema and its docs page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crowd.models import (
    Assignment,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Worker,
)
from pipeline.models import StageRun
from tests.pipeline.labels_data import CLASSIFY_DEV, build_campaign, make_image, reference_records

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CLASSIFY_DEV.is_file(), reason=f"{CLASSIFY_DEV} not found"),
]
User = get_user_model()
LIST_ENDPOINTS = ["datasets", "classes", "images", "campaigns", "workers"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def world(catalogue):
    alice = User.objects.create_user("alice", password="x")
    bob = User.objects.create_user("bob", password="x")
    records = reference_records(6)
    campaign, images = build_campaign("alice-c", records, owner=alice, random_weights=True)
    other, other_images = build_campaign("bob-c", reference_records(2), owner=bob)
    return {
        "alice": alice,
        "bob": bob,
        "campaign": campaign,
        "images": images,
        "records": records,
        "other": other,
        "other_images": other_images,
    }


@pytest.mark.parametrize(
    "path", [*LIST_ENDPOINTS, "schema", "campaigns/{c}", "campaigns/{c}/export"]
)
def test_no_token_or_a_wrong_one_is_refused(world, path):
    url = "/api/" + path.format(c=world["campaign"].pk) + "/"
    assert APIClient().get(url).status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.get(url).status_code == 401


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_a_token_opens_every_endpoint(world, path):
    response = client_for(world["alice"]).get(f"/api/{path}/")
    assert response.status_code == 200
    assert response.json()["count"] > 0 or path == "workers"  # no worker in this campaign


def test_token_from_the_command_authenticates(world, capsys):
    call_command("drf_create_token", "alice")
    key = Token.objects.get(user=world["alice"]).key
    assert key in capsys.readouterr().out
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/campaigns/").status_code == 200


def test_token_endpoint_and_session_login(world):
    response = APIClient().post("/api/token/", {"username": "alice", "password": "x"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    session = APIClient()
    assert session.login(username="alice", password="x")
    assert session.get("/api/campaigns/").status_code == 200


def test_another_users_campaign_is_invisible(world):
    alice = client_for(world["alice"])
    other = world["other"]
    assert alice.get(f"/api/campaigns/{other.pk}/").status_code == 404
    assert alice.get(f"/api/campaigns/{other.pk}/export/?format=csv").status_code == 404
    assert alice.get(f"/api/datasets/{other.dataset_id}/").status_code == 404
    assert alice.get(f"/api/images/{world['other_images'][0].public_id}/").status_code == 404
    assert alice.get(f"/api/images/?campaign={other.pk}").status_code == 400
    names = [c["name"] for c in alice.get("/api/campaigns/").json()["results"]]
    assert names == ["alice-c"]
    image_ids = {i["id"] for i in alice.get("/api/images/?page_size=1000").json()["results"]}
    assert image_ids == {i.public_id for i in world["images"]}


def test_staff_see_every_campaign(world):
    staff = User.objects.create_user("staff", is_staff=True)
    names = {c["name"] for c in client_for(staff).get("/api/campaigns/").json()["results"]}
    assert names == {"alice-c", "bob-c"}


def test_pagination(world):
    client = client_for(world["alice"])
    total = len(world["images"])
    first = client.get("/api/images/?page_size=3").json()
    assert first["count"] == total and len(first["results"]) == 3 and first["previous"] is None
    seen = [i["id"] for i in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [i["id"] for i in page["results"]]
    assert seen == [i.public_id for i in world["images"]]  # every image once, in id order


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {i["id"] for i in response.json()["results"]}


def test_image_filters(world):
    client = client_for(world["alice"])
    c = world["campaign"].pk
    images, records = world["images"], world["records"]
    by_objects = {
        n: {
            images[i].public_id for i, r in enumerate(records) if r["reference"]["num_objects"] == n
        }
        for n in (1, 2, 3)
    }
    assert by_objects[1] and by_objects[3]
    for n, expected in by_objects.items():
        assert ids(client.get(f"/api/images/?campaign={c}&num_objects={n}")) == expected
    multi = by_objects[2] | by_objects[3]
    assert ids(client.get(f"/api/images/?campaign={c}&multi_object=true")) == multi
    assert ids(client.get("/api/images/?inclusion=mislabeled")) == {images[-1].public_id}
    assert ids(client.get("/api/images/?inclusion=easy")) == {images[-2].public_id}
    first = records[0]
    with_label = {
        images[i].public_id
        for i, r in enumerate(records)
        if r["imagenet_label"] == first["imagenet_label"]
    }
    wnid = images[0].label.wnid
    assert ids(client.get(f"/api/images/?label={wnid}")) == with_label
    assert ids(client.get(f"/api/images/?label={first['imagenet_label']}")) == with_label
    main = records[-1]["reference"]["main_label"]
    expected = {
        images[i].public_id for i, r in enumerate(records) if r["reference"]["main_label"] == main
    }
    assert ids(client.get(f"/api/images/?main_label={main}")) == expected
    second = next(r for r in records if r["reference"]["num_objects"] >= 2)
    label = int(next(iter(second["reference"]["objects"][1])))
    found = ids(client.get(f"/api/images/?object_label={label}"))
    assert images[records.index(second)].public_id in found
    assert ids(client.get(f"/api/images/?dataset={world['other'].dataset_id}")) == set()


@pytest.mark.parametrize(
    "query, field",
    [
        ("num_objects=two", "num_objects"),
        ("label=n99999999", "label"),
        ("inclusion=maybe", "inclusion"),
        ("multi_object=perhaps", "multi_object"),
        ("campaign=x", "campaign"),
    ],
)
def test_bad_filter_values_are_a_clear_400(world, query, field):
    response = client_for(world["alice"]).get(f"/api/images/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_image_detail_nests_the_pipeline_data(world):
    client = client_for(world["alice"])
    record = next(r for r in world["records"] if r["reference"]["num_objects"] >= 2)
    image = world["images"][world["records"].index(record)]
    data = client.get(f"/api/images/{image.public_id}/").json()
    assert data["image"] == record["image"]
    assert data["label"]["index"] == record["imagenet_label"]
    assert data["random_weights"] is True
    assert data["predictions"][0]["random_weights"] is True
    potential = [p["label"]["index"] for p in data["potential_labels"]]
    assert (
        potential[0] == record["imagenet_label"] and data["potential_labels"][0]["is_dataset_label"]
    )
    assert [c["label"]["index"] for c in data["candidates"]] == potential
    frequencies = {f["label"]["index"]: f["frequency"] for f in data["selection_frequencies"]}
    assert frequencies[record["imagenet_label"]] == 1.0 and len(frequencies) == len(potential)
    assert data["inclusions"] == [{"campaign": world["campaign"].pk, "category": "follow_up"}]
    (final,) = data["final_labels"]
    ref = record["reference"]
    assert final["num_objects"] == ref["num_objects"]
    assert final["main_label"]["index"] == ref["main_label"]
    got = [
        {
            str(lab["label"]["index"]): [lab["share"], lab["selection_frequency"]]
            for lab in o["labels"]
        }
        for o in final["objects"]
    ]
    assert got == ref["objects"]


def test_image_list_queries_do_not_grow_with_the_page(
    world, catalogue, django_assert_max_num_queries
):
    client = client_for(world["alice"])
    campaign = world["campaign"]
    client.get("/api/images/")  # warm the token user
    records = reference_records(40)
    from tests.pipeline.labels_data import add_pipeline_data, add_reference, by_index

    classes = by_index()
    for record in records:
        image = make_image(campaign.dataset, classes[record["imagenet_label"]])
        add_pipeline_data(campaign, image, [classes[record["imagenet_label"]]], True)
        add_reference(campaign, image, record["reference"], classes)
    with django_assert_max_num_queries(14):
        response = client.get(f"/api/images/?campaign={campaign.pk}&page_size=100")
    assert len(response.json()["results"]) >= 48


def test_campaign_shows_stage_progress(world):
    campaign = world["campaign"]
    StageRun.objects.create(campaign=campaign, stage="grids", status="done", done=4, total=4)
    StageRun.objects.create(campaign=campaign, stage="contains_qc", done=1, total=4)
    data = client_for(world["alice"]).get(f"/api/campaigns/{campaign.pk}/").json()
    assert data["dataset"] == campaign.dataset.name and data["owner"] == "alice"
    assert data["params"]["grid_size"] == campaign.grid_size
    stages = {s["stage"]: s for s in data["stages"]}
    assert stages["grids"]["progress"] == 1.0 and stages["contains_qc"]["progress"] == 0.25
    assert stages["contains_qc"]["status"] == "running"


def test_workers_answers_and_control_accuracy(world):
    campaign = world["campaign"]
    images = world["images"]
    keen = Worker.objects.create(external_id="KEEN")
    idle = Worker.objects.create(external_id="IDLE")
    query = images[0].label
    # Two grids with 3 controls each; KEEN selects 3 then 1 of them: 4/6.
    for number, chosen in ((1, 3), (2, 1)):
        grid = ContainsGrid.objects.create(
            campaign=campaign, number=number, query=query, public_id=f"g{number}"
        )
        items = [
            GridItem.objects.create(grid=grid, position=p, image=img, is_control=p < 3)
            for p, img in enumerate(images[:5])
        ]
        assignment = Assignment.objects.create(
            campaign=campaign, kind="contains", grid=grid, worker=keen
        )
        answer = ContainsAnswer.objects.create(assignment=assignment, grid=grid, worker=keen)
        for item in items[:chosen] + items[3:]:  # controls chosen, plus non-controls
            ContainsSelection.objects.create(answer=answer, item=item)
    Assignment.objects.create(campaign=campaign, kind="contains", grid=grid, worker=idle)
    results = client_for(world["alice"]).get(f"/api/workers/?campaign={campaign.pk}").json()
    by_id = {w["external_id"]: w for w in results["results"]}
    assert by_id["KEEN"]["contains_answers"] == 2
    assert by_id["KEEN"]["controls_shown"] == 6 and by_id["KEEN"]["controls_selected"] == 4
    assert by_id["KEEN"]["control_accuracy"] == pytest.approx(4 / 6)
    assert by_id["IDLE"]["control_accuracy"] is None
    # Bob sees neither: they worked on Alice's campaign only.
    assert client_for(world["bob"]).get("/api/workers/").json()["count"] == 0


def test_schema_validates_and_docs_list_every_endpoint(world):
    client = client_for(world["alice"])
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/campaigns/{id}/export/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/images/"]["get"]["parameters"]}
    assert {"campaign", "num_objects", "inclusion", "label", "page", "page_size"} <= params
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "GET /api/images/{id}/" in html and "num_objects" in html
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("page", ["/api/swagger/", "/api/redoc/"])
def test_interactive_docs_load_their_scripts_from_our_static_files(world, page):
    from django.contrib.staticfiles import finders

    assert APIClient().get(page).status_code in (401, 403)
    html = client_for(world["alice"]).get(page).content.decode()
    scripts = re.findall(r'src="/static/([^"]+)"', html)
    assert scripts and all(finders.find(path) for path in scripts)
    assert "cdn" not in html.lower() and "/api/schema/" in html
