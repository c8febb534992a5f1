"""The pipeline's API (pipeline.api): image filters and their 400s, images nesting their
pipeline data in a fixed number of queries, campaigns with their stage progress."""

from __future__ import annotations

import pytest

from pipeline.models import StageRun
from tests.api.helpers import API_TEST_MARKS, client_for, make_world
from tests.pipeline.labels_data import (
    add_pipeline_data,
    add_reference,
    by_index,
    make_image,
    reference_records,
)

pytestmark = API_TEST_MARKS


@pytest.fixture
def world(catalogue):
    return make_world()


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
    assert field in response.json()["error"]


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
