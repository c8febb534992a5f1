"""Shankar et al.'s slice without dogs and its class bootstrap, top-1 beside multi-label
accuracy (their Fig 4), Vasudevan et al.'s accuracy before and after the review, and the
API's with-unclear columns; expectations counted by hand from the images below."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalogue.models import Dataset, LabelClass
from review.models import EvaluationSlice, GroundTruthSet, TruthLabel
from review.truth import record_expert
from tests.review.factories import predict, staff, val_image

pytestmark = pytest.mark.django_db

# image number -> dataset label: two dog images (151, 152), two goldfish (1), two clocks (409)
LABELS = {1: 151, 2: 152, 3: 1, 4: 1, 5: 409, 6: 409}
# model a: right on 1, 3, 5 and 6 (530 is a second correct label of 6), wrong on 2, an unclear
# label on 4; top-1 (the dataset label) on 1, 3 and 5 only. Model b: always the dataset label.
MODEL_A = {1: 151, 2: 151, 3: 1, 4: 2, 5: 409, 6: 530}


@pytest.fixture
def val(catalogue, tmp_path):
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    images = {n: val_image(dataset, n, classes[label]) for n, label in LABELS.items()}
    for n, image in images.items():
        predict("a", image, MODEL_A[n], 0)
        predict("b", image, LABELS[n], 0)
    path = tmp_path / "mine.json"
    correct = {f"ILSVRC2012_val_{n:08d}": [label] for n, label in LABELS.items()}
    correct["ILSVRC2012_val_00000006"] = [409, 530]
    path.write_text(json.dumps(correct))
    call_command("import_ground_truth", "--dataset", "val", "--file", str(path), stdout=StringIO())
    mine = GroundTruthSet.objects.get(name="mine")
    TruthLabel.objects.create(truth_set=mine, image=images[2], label=classes[151], status="wrong")
    TruthLabel.objects.create(truth_set=mine, image=images[4], label=classes[2], status="unclear")
    return dataset, images, classes


def score(tmp_path, *args: str) -> tuple[dict, str]:
    out, target = StringIO(), tmp_path / "scores.json"
    call_command("score", "--models", "a,b", "--no-queue", *args, "--json", str(target), stdout=out)
    return json.loads(target.read_text()), out.getvalue()


def test_slice_without_dogs_keeps_the_882_other_classes(val):
    out = StringIO()
    call_command(
        "build_slice", "--name", "no-dogs", "--without-dogs", "--dataset", "val", stdout=out
    )
    kept = EvaluationSlice.objects.get(name="no-dogs")
    _, images, _ = val
    assert set(kept.images.all()) == {images[n] for n in (3, 4, 5, 6)}
    assert kept.params["classes"] == 882 and kept.params["dropped_classes"] == 118
    assert "4 images of 882 classes (118 dog classes left out)" in out.getvalue()
    # ImageNet's dog classes are indices 151 to 268: none of them is in the slice's classes.
    dogs = {c.index for c in LabelClass.objects.all() if "dog.n.01" in c.hypernym_distances}
    assert dogs == set(range(151, 269))


def test_slice_without_dogs_refuses_models_and_a_catalogue_without_wordnet(val):
    with pytest.raises(CommandError, match="takes no --models"):
        call_command("build_slice", "--name", "x", "--without-dogs", "--models", "a")
    with pytest.raises(CommandError, match="Give --models"):
        call_command("build_slice", "--name", "x")
    LabelClass.objects.update(hypernym_distances={})
    with pytest.raises(CommandError, match="no WordNet hierarchy"):
        call_command("build_slice", "--name", "x", "--without-dogs")
    assert not EvaluationSlice.objects.exists()


def test_top1_beside_multilabel_accuracy_fig4(val, tmp_path):
    data, text = score(tmp_path, "--ground-truth", "mine", "--no-expert")
    fig4 = {r["predictor"]: r for r in data["top1_vs_multilabel"]}
    assert fig4["a"]["top1_accuracy"] == pytest.approx(3 / 6)
    assert fig4["a"]["accuracy"] == pytest.approx(4 / 6)  # the unclear label is not right
    assert fig4["b"]["top1_accuracy"] == 1 and fig4["b"]["accuracy"] == 1
    row = next(r for r in data["rows"] if r["predictor"] == "a" and r["slice"] == "all")
    assert row["accuracy_with_unclear"] == pytest.approx(5 / 6)
    line = next(x for x in text.splitlines() if x.startswith("a ") and " all " in x)
    assert line.split()[-1] == "50.0"  # the top1% column


def test_class_bootstrap_on_the_slice_without_dogs(val, tmp_path):
    call_command("build_slice", "--name", "no-dogs", "--without-dogs", stdout=StringIO())
    data, text = score(
        tmp_path, "--ground-truth", "mine", "--no-expert", "--slice", "no-dogs",
        "--class-bootstrap", "4000",
    )  # fmt: skip
    boot = data["class_bootstrap"]
    # Classes 1 (a: 1 right of 2) and 409 (a: 2 of 2); b right everywhere. Resampling the two
    # classes gives a: 1/2, 3/4 or 1; a - b: -1/2, -1/4 or 0 (0 for a quarter of resamples).
    a = boot["predictors"]["a"]
    assert (a["value"], a["low"], a["high"], a["n"], a["classes"]) == (0.75, 0.5, 1.0, 4, 2)
    (pair,) = boot["pairs"]
    assert (pair["a"], pair["b"], pair["images"], pair["classes"]) == ("a", "b", 4, 2)
    assert (pair["difference"], pair["low"], pair["high"]) == (-0.25, -0.5, 0.0)
    assert pair["pvalue"] == pytest.approx(0.5, abs=0.04)
    assert "class bootstrap a - b: -25.0 points [-50.0, 0.0]" in text
    assert "class bootstrap a: 75.0% [50.0, 100.0] over 2 classes" in text


def test_accuracy_before_and_after_the_review(val, tmp_path):
    _, images, classes = val
    record_expert(images[2].pk, classes[151].pk, "correct")  # the panel finds a's 151 right
    data, text = score(tmp_path, "--ground-truth", "mine")
    (a, b) = data["before_after_review"]
    assert a["predictor"] == "a"
    assert (a["before"], a["after"]) == (pytest.approx(4 / 6), pytest.approx(5 / 6))
    assert (a["turned_right"], a["turned_not_right"], a["newly_judged"]) == (1, 0, 0)
    assert (b["before"], b["after"], b["turned_right"]) == (1, 1, 0)
    assert "review a: 66.7% before (without expert), 83.3% after; 1 turned right" in text


def test_a_bad_json_path_is_one_line(val, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command(
            "score", "--models", "a", "--ground-truth", "mine", "--no-queue",
            "--json", str(tmp_path / "missing" / "x.json"), stdout=StringIO(),
        )  # fmt: skip


def test_api_scores_carry_the_with_unclear_and_top1_columns(val):
    dataset, _, _ = val
    client = APIClient()
    token = Token.objects.create(user=staff("ana"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = client.get(f"/api/scores/?dataset={dataset.pk}&predictor=a&truth_set=mine").json()
    row = next(r for r in body["results"] if r["slice"] == "all")
    assert (row["right"], row["unclear"], row["n"], row["top1_right"]) == (4, 1, 6, 3)
    assert row["accuracy"] == pytest.approx(4 / 6)
    assert row["accuracy_with_unclear"] == pytest.approx(5 / 6)
    assert row["ci_low_with_unclear"] < 5 / 6 < row["ci_high_with_unclear"]
    assert row["top1_accuracy"] == pytest.approx(0.5)
