"""Label exports: every format parses and holds the right rows, streamed from the API and the
command alike; the ImageNetMultiLabel shape reproduces the published references."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pipeline import exports
from pipeline.models import Campaign, ImageLabels
from tests.pipeline.labels_data import CLASSIFY_DEV, build_campaign, reference_records

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CLASSIFY_DEV.is_file(), reason=f"{CLASSIFY_DEV} not found"),
]


@pytest.fixture
def labelled(catalogue):
    owner = get_user_model().objects.create_user("owner")
    records = reference_records(8)
    campaign, images = build_campaign("exp", records, owner=owner, random_weights=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    return {"campaign": campaign, "images": images, "records": records, "client": client}


def fetch(client, campaign, fmt: str):
    response = client.get(f"/api/campaigns/{campaign.pk}/export/?format={fmt}")
    assert response.status_code == 200, response.content
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return response, body


def test_jsonl_holds_one_record_per_image(labelled):
    response, body = fetch(labelled["client"], labelled["campaign"], "jsonl")
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response["Content-Disposition"]
    rows = [json.loads(line) for line in body.splitlines()]
    assert [r["image_id"] for r in rows] == [i.public_id for i in labelled["images"]]
    for row, record in zip(rows, labelled["records"], strict=False):
        assert row["image"] == record["image"]
        assert row["dataset_label"] == record["imagenet_label"]
        assert row["objects"] == record["reference"]["objects"]
        assert row["inclusion"] == "follow_up"
        assert row["random_weights"] is True
        assert row["predictions"][0]["random_weights"] is True
    assert [r["inclusion"] for r in rows[-2:]] == ["easy", "mislabeled"]
    assert rows[-1]["objects"] is None and rows[-1]["num_objects"] is None


def test_json_is_one_document_marked_random_weights(labelled):
    _, body = fetch(labelled["client"], labelled["campaign"], "json")
    document = json.loads(body)
    assert document["campaign"]["name"] == "exp"
    assert document["campaign"]["random_weights"] is True
    assert len(document["images"]) == len(labelled["images"])
    _, jsonl = fetch(labelled["client"], labelled["campaign"], "jsonl")
    assert document["images"] == [json.loads(line) for line in jsonl.splitlines()]


def test_csv_one_row_per_image_with_nested_values_as_json(labelled):
    response, body = fetch(labelled["client"], labelled["campaign"], "csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == exports.CSV_COLUMNS
    assert len(rows) == len(labelled["images"])
    for row, record in zip(rows, labelled["records"], strict=False):
        ref = record["reference"]
        assert int(row["dataset_label"]) == record["imagenet_label"]
        assert int(row["num_objects"]) == ref["num_objects"]
        assert int(row["main_label"]) == ref["main_label"]
        assert json.loads(row["objects"]) == ref["objects"]
        assert len(row["object_labels"].split()) == ref["num_objects"]
        assert row["random_weights"] == "true"
    assert rows[-1]["num_objects"] == "" and rows[-1]["inclusion"] == "mislabeled"


def test_imagenet_multilabel_reproduces_the_published_references(labelled):
    _, body = fetch(labelled["client"], labelled["campaign"], "imagenet-multilabel")
    rows = [json.loads(line) for line in body.splitlines()]
    expected = [
        {k: v for k, v in record.items() if k != "responses"} for record in labelled["records"]
    ]
    assert rows == expected  # follow-up images only, field for field
    for row, record in zip(rows, labelled["records"], strict=False):
        # Same field names, in the same order, with the same JSON types.
        assert list(row) == [k for k in record if k != "responses"]
        assert list(row["reference"]) == list(record["reference"])
        for got, want in zip(
            row["reference"]["objects"], record["reference"]["objects"], strict=True
        ):
            assert list(got) == list(want)
    assert any(r["reference"]["imagenet_object"] is None for r in rows)
    assert any(r["reference"]["num_objects"] >= 3 for r in rows)


def test_chunked_stream_equals_a_single_read(labelled):
    campaign = labelled["campaign"]
    for fmt in exports.FORMATS:
        whole = "".join(exports.export_stream(campaign, fmt, chunk_size=100_000))
        chunked = "".join(exports.export_stream(campaign, fmt, chunk_size=3))
        assert chunked == whole, fmt
        _, streamed = fetch(labelled["client"], campaign, fmt)
        assert streamed == whole, fmt


def test_first_bytes_come_before_any_image_query(labelled):
    campaign = labelled["campaign"]
    response = labelled["client"].get(f"/api/campaigns/{campaign.pk}/export/?format=csv")
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        first = next(stream)
    assert first.decode().startswith("image_id,image,dataset_label")
    assert not any("annotation_image" in q["sql"] for q in queries.captured_queries)
    rest = b"".join(stream).decode()
    assert len(rest.splitlines()) == len(labelled["images"])


def test_dataset_export_uses_its_latest_campaign(labelled):
    campaign = labelled["campaign"]
    response = labelled["client"].get(f"/api/datasets/{campaign.dataset_id}/export/?format=jsonl")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).splitlines()) == len(labelled["images"])


def test_unknown_format_and_no_token_are_refused(labelled):
    campaign = labelled["campaign"]
    url = f"/api/campaigns/{campaign.pk}/export/"
    assert labelled["client"].get(url + "?format=xml").status_code == 400  # the client's error
    assert APIClient().get(url + "?format=csv").status_code == 401


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_command_writes_the_same_bytes_as_the_api(labelled, tmp_path, fmt):
    campaign = labelled["campaign"]
    target = tmp_path / f"labels.{fmt}"
    call_command(
        "export_labels",
        campaign=campaign.pk,
        format=fmt,
        output=str(target),
        verbosity=0,
    )
    _, body = fetch(labelled["client"], campaign, fmt)
    assert target.read_text() == body


def test_command_by_dataset_and_bad_input(labelled, tmp_path):
    campaign = labelled["campaign"]
    target = tmp_path / "out.jsonl"
    call_command("export_labels", dataset=campaign.dataset.name, format="jsonl", output=str(target))
    assert len(target.read_text().splitlines()) == len(labelled["images"])
    missing = tmp_path / "missing.csv"
    with pytest.raises(CommandError, match="No campaign with id"):
        call_command("export_labels", campaign=10**9, format="csv", output=str(missing))
    with pytest.raises(CommandError, match="Output folder does not exist"):
        call_command(
            "export_labels", campaign=campaign.pk, format="csv", output=str(tmp_path / "no/x")
        )
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left


def test_a_newer_campaign_without_labels_does_not_empty_the_datasets_export(labelled, tmp_path):
    campaign = labelled["campaign"]
    newer = Campaign.objects.create(name="second-look", dataset=campaign.dataset)
    target, err = tmp_path / "out.jsonl", io.StringIO()
    call_command(
        "export_labels", dataset=campaign.dataset.name, format="jsonl", output=str(target),
        stderr=err,
    )  # fmt: skip
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    labelled_rows = [r for r in rows if r["num_objects"]]
    assert len(rows) == len(labelled["images"])
    assert len(labelled_rows) == ImageLabels.objects.filter(campaign=campaign).count() > 0
    assert f"Exporting campaign {campaign.pk} {campaign.name!r}, the latest of 2" in err.getvalue()
    response = labelled["client"].get(f"/api/datasets/{campaign.dataset_id}/export/?format=jsonl")
    assert response["X-Finelabel-Campaign"] == f"{campaign.pk} {campaign.name}"
    ImageLabels.objects.filter(campaign=campaign).delete()
    with pytest.raises(CommandError, match=f"has final labels yet .*{newer.pk} 'second-look'"):
        call_command(
            "export_labels", dataset=campaign.dataset.name, format="jsonl", output=str(target)
        )
