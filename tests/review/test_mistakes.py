"""Vasudevan et al.'s second phase on PostgreSQL: every remaining mistake of a model queued
(also those already judged wrong), reviewed mistakes imported from the published file, and
their Table 2 on the dashboard."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from bench.reference_data import shared_datasets_dir
from catalogue.models import Dataset
from pipeline.models import Campaign
from review.models import GroundTruthSet, ReviewItem, TruthLabel
from tests.review.factories import predict, staff, val_image

pytestmark = pytest.mark.django_db
MISTAKES = shared_datasets_dir() / "imagenet_mistakes" / "vit3b_mistakes.json"


@pytest.fixture
def judged(catalogue):
    """Model m on four images: right on 1, judged wrong on 2, unjudged on 3 (which has
    ground truth for another label), unclear on 4."""
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    images = [val_image(dataset, n, classes[n]) for n in range(1, 5)]
    truth = GroundTruthSet.objects.create(name="lab", kind=GroundTruthSet.Kind.IMPORTED)
    rows = ((0, 1, "correct"), (1, 20, "wrong"), (2, 3, "correct"), (3, 40, "unclear"))
    for image, label, status in rows:
        TruthLabel.objects.create(
            truth_set=truth, image=images[image], label=classes[label], status=status
        )
    for image, label in zip(images, (1, 20, 30, 40), strict=True):
        predict("m", image, label)
    return classes, images


def test_every_remaining_mistake_is_queued_not_only_novel_ones(judged):
    classes, images = judged
    out = StringIO()
    call_command("score", "--models", "m", "--ground-truth", "lab", stdout=out)
    assert "1 newly queued" in out.getvalue()  # the first phase: the novel prediction only
    out = StringIO()
    call_command("queue_mistakes", "--model", "m", "--ground-truth", "lab", stdout=out)
    assert "m: 3 remaining mistakes (not judged correct), 2 newly queued" in out.getvalue()
    queued = set(ReviewItem.objects.values_list("image_id", "label__index"))
    assert queued == {(images[1].pk, 20), (images[2].pk, 30), (images[3].pk, 40)}
    assert ReviewItem.objects.get(image=images[1]).models_predicting == ["m"]
    with pytest.raises(CommandError, match="No predictions for nobody"):
        call_command("queue_mistakes", "--model", "nobody", "--ground-truth", "lab")


def mistakes_file(tmp_path, entries: dict) -> str:
    path = tmp_path / "mistakes.json"
    path.write_text(json.dumps(entries))
    return str(path)


def test_import_mistakes_decides_items_and_the_dashboard_shows_table_2(catalogue, tmp_path, client):
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    images = {n: val_image(dataset, n, classes[n % 1000]) for n in (612, 1409, 1529)}
    entries = {
        "ILSVRC2012_val_00000612.JPEG": ("Fine-grained error", "Minor", 192),
        "ILSVRC2012_val_00001409.JPEG": ("Spurious Correlation", "Major", 843),
        "ILSVRC2012_val_00001529.JPEG": ("Fine-grained error", "Borderline", 304),
        "ILSVRC2012_val_00099999.JPEG": ("Non-prototypical", "Major", 5),  # not in the dataset
    }
    path = mistakes_file(
        tmp_path,
        {
            name: {"top_prediction": p, "failure category": c, "failure severity": s}
            for name, (c, s, p) in entries.items()
        },
    )
    ReviewItem.objects.create(image=images[612], label=classes[192], models_predicting=["x"])
    out = StringIO()
    call_command("import_mistakes", path, "--dataset", "val", "--model", "vit3b", stdout=out)
    assert "vit3b: 3 mistakes stored (2 new review items); 1 name no image of val" in (
        out.getvalue()
    )
    items = {i.image_id: i for i in ReviewItem.objects.all()}
    assert (items[images[1529].pk].severity, items[images[1529].pk].category) == (
        "minor",  # Borderline counts as minor
        "fine_grained",
    )
    assert items[images[1409].pk].category == "spurious"
    assert items[images[612].pk].models_predicting == ["vit3b", "x"]
    assert {i.state for i in items.values()} == {"decided"}
    assert TruthLabel.objects.filter(truth_set__name="expert", status="wrong").count() == 3
    call_command("import_mistakes", path, "--dataset", "val", "--model", "vit3b", stdout=out)
    assert ReviewItem.objects.count() == 3  # re-importing updates the same items

    campaign = Campaign.objects.create(name="c", dataset=dataset)
    client.force_login(staff("ann"))
    page = re.sub(r">\s+<", "><", client.get(reverse("dashboard", args=[campaign.pk])).text)
    table = page.split('id="mistakes-1"', 1)[1].split("</table>", 1)[0]
    assert "all models: 3 mistakes" in table
    assert "<td>Fine-grained</td><td>0</td><td>2</td><td>0</td>" in table
    assert "<td>Spurious correlation</td><td>1</td><td>0</td><td>0</td>" in table
    assert "vit3b: 3 mistakes" in page and "x: 1 mistakes" in page


def test_import_the_published_vit3b_mistakes(catalogue, tmp_path):
    if not MISTAKES.is_file():
        pytest.skip(f"no {MISTAKES}")
    data = json.loads(MISTAKES.read_text())
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    names = list(data)[:5]
    for name in names:
        val_image(dataset, int(name[15:23]), classes[0])
    out = StringIO()
    call_command(
        "import_mistakes", str(MISTAKES), "--dataset", "val", "--model", "vit3b", stdout=out
    )
    assert f"5 mistakes stored (5 new review items); {len(data) - 5} name no image" in (
        out.getvalue()
    )
    assert "Table 2: 378 mistakes" in out.getvalue()
    stored = {
        (i.image.source.rsplit("/", 1)[1], i.label.index, i.severity)
        for i in ReviewItem.objects.select_related("image", "label")
    }
    major = {"Major": "major", "Minor": "minor", "Borderline": "minor"}
    assert stored == {
        (n, data[n]["top_prediction"], major[data[n]["failure severity"]]) for n in names
    }
