"""import_predictions: CSV and NPY, all-or-nothing validation, and scoring on the dashboard."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Image, LabelClass
from dashboard.analyses import campaign_analyses
from pipeline.models import ImageLabels, ModelPrediction
from simulation.sample_campaign import build_sample_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(catalogue):
    return build_sample_campaign(30, seed=5, n_models=0)


def _images(campaign):
    return list(Image.objects.filter(dataset=campaign.dataset).select_related("label"))


def test_csv_with_wnids_or_indices_is_stored_and_scored(campaign, tmp_path):
    images = _images(campaign)
    wnid = dict(LabelClass.objects.values_list("index", "wnid"))
    lines = ["image,top1,top2,top3,top4,top5"]
    for k, img in enumerate(images):
        own = img.label.index
        top = [own, 1, 2, 3, 4] if k % 2 == 0 else [5, own, 6, 7, 8]  # half right at top-1
        cells = [wnid[c] for c in top] if k % 3 else [str(c) for c in top]
        key = img.public_id if k % 2 else img.source
        lines.append(",".join([key, *cells]))
    path = tmp_path / "preds.csv"
    path.write_text("\n".join(lines) + "\n")
    call_command("import_predictions", str(path), campaign=campaign.pk, model="mine")

    stored = dict(
        ModelPrediction.objects.filter(model_name="mine").values_list("image_id", "labels")
    )
    assert len(stored) == len(images)
    assert stored[images[0].id][0] == images[0].label.index
    assert stored[images[1].id][1] == images[1].label.index

    scores = {s.model: s for s in campaign_analyses(campaign).models}["mine"]
    aggregated = set(
        ImageLabels.objects.filter(campaign=campaign).values_list("image_id", flat=True)
    )
    right = [k % 2 == 0 for k, img in enumerate(images) if img.id in aggregated]
    assert scores.images == len(right) > 0
    assert scores.accuracy["all"]["top1"].value == pytest.approx(sum(right) / len(right))
    assert scores.accuracy["all"]["top5"].value == 1.0


def test_npy_aligned_to_an_image_list_and_reimport_replaces(campaign, tmp_path):
    images = _images(campaign)[:4]
    listing = tmp_path / "images.txt"
    listing.write_text("\n".join(img.public_id for img in images))
    array = np.array([[img.label.index, 0, 1, 2, 3] for img in images], dtype=np.int64)
    np.save(tmp_path / "p.npy", array)
    call_command(
        "import_predictions",
        str(tmp_path / "p.npy"),
        campaign=campaign.pk,
        model="npy",
        images=str(listing),
    )
    assert ModelPrediction.objects.filter(model_name="npy").count() == 4
    np.save(tmp_path / "p.npy", array[:, ::-1].copy())
    call_command(
        "import_predictions",
        str(tmp_path / "p.npy"),
        campaign=campaign.pk,
        model="npy",
        images=str(listing),
    )
    rows = ModelPrediction.objects.filter(model_name="npy")
    assert rows.count() == 4
    assert rows.get(image=images[0]).labels == array[0, ::-1].tolist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{img},1,2,3,4,n99999999\n", "unknown classes n99999999"),
        ("nope,1,2,3,4,5\n", "no image 'nope'"),
        ("{img},1,2,3\n", "expected an image and 5 classes"),
        ("{img},1,2,3,4,5\n{img},1,2,3,4,5\n", "appears twice"),
    ],
)
def test_bad_csv_stores_nothing(campaign, tmp_path, content, message):
    img = _images(campaign)[0]
    good = _images(campaign)[1]
    path = tmp_path / "bad.csv"
    path.write_text(f"{good.public_id},1,2,3,4,5\n" + content.format(img=img.public_id))
    with pytest.raises(CommandError, match=message):
        call_command("import_predictions", str(path), campaign=campaign.pk, model="bad")
    assert not ModelPrediction.objects.filter(model_name="bad").exists()


def test_npy_of_the_wrong_shape_is_refused(campaign, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((30, 3), dtype=np.int64))
    with pytest.raises(CommandError, match="N x 5 integer array"):
        call_command("import_predictions", str(tmp_path / "p.npy"), campaign=campaign.pk, model="x")
    np.save(tmp_path / "q.npy", np.zeros((7, 5), dtype=np.int64))
    with pytest.raises(CommandError, match="7 rows but the image list has 30"):
        call_command("import_predictions", str(tmp_path / "q.npy"), campaign=campaign.pk, model="x")
    assert not ModelPrediction.objects.filter(model_name="x").exists()


def test_the_file_names_an_export_writes_are_read_back(campaign, tmp_path):
    """The `image` column of export_labels (the imported file's name) names the image."""
    call_command(
        "export_labels",
        campaign=str(campaign.pk),
        format="csv",
        output=str(tmp_path / "labels.csv"),
    )
    with open(tmp_path / "labels.csv", newline="") as exported:
        names = [row["image"] for row in csv.DictReader(exported)]
    by_name = {img.source.rsplit("/", 1)[-1]: img for img in _images(campaign)}
    assert set(names) <= set(by_name) and names
    lines = [f"{name},{by_name[name].label.index},1,2,3,4" for name in names]
    path = tmp_path / "preds.csv"
    path.write_text("image,top1,top2,top3,top4,top5\n" + "\n".join(lines) + "\n")
    call_command("import_predictions", str(path), campaign=campaign.pk, model="back")
    stored = dict(ModelPrediction.objects.filter(model_name="back").values_list("image", "labels"))
    assert {by_name[name].pk: by_name[name].label.index for name in names} == {
        pk: labels[0] for pk, labels in stored.items()
    }
