"""Ground truth import, scoring with unjudged predictions, the panel through its services,
and the major-mistakes slice, on PostgreSQL."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Dataset
from review import evaluation as ev
from review import selectors, services
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)
from review.truth import expert_set, real_labels_path
from tests.review.factories import predict, staff, val_image

pytestmark = pytest.mark.django_db


def by_index(catalogue):
    return {c.index: c for c in catalogue.values()}


@pytest.fixture
def real_dataset(catalogue):
    """Validation images 1-6 with their dataset labels; ReaL lists for them are
    [], [970, 795], [230, 231], [809], [516, 850], [57]."""
    classes = by_index(catalogue)
    real = json.loads(real_labels_path().read_text())
    dataset = Dataset.objects.create(name="val")
    dataset_labels = {1: 65, 2: 970, 3: 230, 4: 809, 5: 520, 6: 57}
    images = {n: val_image(dataset, n, classes[dataset_labels[n]]) for n in range(1, 7)}
    return dataset, images, real[:6]


def test_catalogue_class_slices_are_118_292_590(catalogue):
    assert selectors.class_slice_counts() == {"dogs": 118, "organisms": 292, "objects": 590}


def test_real_import_maps_validation_numbers_to_images(real_dataset):
    dataset, images, real = real_dataset
    assert real[1] == [970, 795]  # the timm file as the test reads it
    out = StringIO()
    call_command("import_ground_truth", "--dataset", "val", "--real", stdout=out)
    truth_set = GroundTruthSet.objects.get(name="real")
    assert truth_set.exhaustive
    stored = {
        (row.image_id, row.label.index)
        for row in TruthLabel.objects.filter(truth_set=truth_set).select_related("label")
    }
    expected = {(images[n].pk, label) for n in range(1, 7) for label in real[n - 1]}
    assert stored == expected
    # Image 1 has an empty ReaL list: not covered; the other 49,994 numbers match nothing.
    assert (
        "5 images, 8 labels; 1 with no label skipped; 49994 keys match no image" in out.getvalue()
    )
    # Re-importing replaces, not duplicates.
    call_command("import_ground_truth", "--dataset", "val", "--real", stdout=StringIO())
    assert TruthLabel.objects.filter(truth_set=truth_set).count() == 8


def test_label_file_with_unknown_class_stores_nothing(real_dataset, tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"ILSVRC2012_val_00000002": [970], "x": ["n99999999"]}))
    with pytest.raises(CommandError, match="name no class"):
        call_command("import_ground_truth", "--dataset", "val", "--file", str(path))
    assert not GroundTruthSet.objects.exists()


def test_label_file_by_source_name_with_wnids(real_dataset, tmp_path, catalogue):
    dataset, images, _ = real_dataset
    path = tmp_path / "my_labels.json"
    path.write_text(json.dumps({"ILSVRC2012_val_00000003.JPEG": ["n02105162", 231]}))
    call_command("import_ground_truth", "--dataset", "val", "--file", str(path), stdout=StringIO())
    truth_set = GroundTruthSet.objects.get(name="my-labels")
    assert not truth_set.exhaustive
    labels = set(
        TruthLabel.objects.filter(truth_set=truth_set).values_list("label__wnid", flat=True)
    )
    assert labels == {"n02105162", catalogue_wnid(catalogue, 231)}


def catalogue_wnid(catalogue, index):
    return by_index(catalogue)[index].wnid


def test_score_against_real_queues_nothing_and_prints_intervals(real_dataset):
    dataset, images, real = real_dataset
    call_command("import_ground_truth", "--dataset", "val", "--real", stdout=StringIO())
    # model a: right on 2 (second ReaL label), 3, 4; wrong on 5 and 6; image 1 has no truth.
    for n, label in {1: 65, 2: 795, 3: 231, 4: 809, 5: 1, 6: 2}.items():
        predict("model_a", images[n], label, 3, 4)
    # model b: right on 2, 5, 6; wrong on 3, 4.
    for n, label in {1: 65, 2: 970, 3: 7, 4: 8, 5: 516, 6: 57}.items():
        predict("model_b", images[n], label, 3, 4)
    out = StringIO()
    call_command(
        "score",
        "--models",
        "model_a,model_b",
        "--ground-truth",
        "real",
        "--dataset",
        "val",
        stdout=out,
    )
    text = out.getvalue()
    low, high = ev.clopper_pearson(3, 5)
    line = next(x for x in text.splitlines() if x.startswith("model_a") and " all " in x)
    assert line.split()[2:4] == ["60.0", f"[{100 * low:.1f},"]
    assert line.split()[4] == f"{100 * high:.1f}]"
    assert (
        "McNemar model_a vs model_b: 5 images, only model_a right 2, only model_b right 2, p = 1"
        in text
    )
    assert "0 newly queued" in text
    assert not ReviewItem.objects.exists()


def test_unjudged_predictions_are_counted_and_queued_once(catalogue, tmp_path):
    classes = by_index(catalogue)
    dataset = Dataset.objects.create(name="ds")
    images = [val_image(dataset, n, classes[200 + n]) for n in range(1, 5)]
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({f"ILSVRC2012_val_{n:08d}": [200 + n] for n in range(1, 5)}))
    call_command("import_ground_truth", "--dataset", "ds", "--file", str(path), stdout=StringIO())
    predict("m1", images[0], 201, probability=0.8)  # right
    predict("m1", images[1], 500, probability=0.7)  # novel
    predict("m2", images[1], 500, probability=0.6)  # same novel pair
    predict("m2", images[2], 501, probability=0.5)  # novel
    out = StringIO()
    call_command("score", "--models", "m1,m2", "--ground-truth", "truth", stdout=out)
    assert "2 unique (image, label), 2 newly queued" in out.getvalue()
    item = ReviewItem.objects.get(image=images[1])
    assert item.label == classes[500]
    assert item.score == pytest.approx(0.7)  # the highest of m1's 0.7 and m2's 0.6
    assert sorted(item.models_predicting) == ["m1", "m2"]
    rows = {(r["predictor"], r["slice"]): r for r in selectors.model_scores(["truth"], ["m1"])}
    assert rows[("m1", "all")]["right"] == 1 and rows[("m1", "all")]["unreviewed"] == 1
    assert rows[("m1", "all")]["scored"] == 1
    call_command("score", "--models", "m1,m2", "--ground-truth", "truth", stdout=out)
    assert ReviewItem.objects.count() == 2


def test_panel_of_five_majority_tie_discussion_and_history(catalogue):
    """Five reviewers by default; a tie is unclear; an item stays in discussion until the
    votes are unanimous; every vote is kept."""
    classes = by_index(catalogue)
    dataset = Dataset.objects.create(name="ds")
    image = val_image(dataset, 1, classes[1])
    item = ReviewItem.objects.create(image=image, label=classes[2])
    ann, bob, cid, dee, eve = (staff(n) for n in ("ann", "bob", "cid", "dee", "eve"))
    assert services.panel_size() == 5
    assert selectors.review_queue(ann).count() == 1
    for reviewer, verdict in ((ann, "correct"), (bob, "correct"), (cid, "unclear")):
        services.cast_vote(item, reviewer, verdict)
    services.cast_vote(item, dee, "incorrect", "major", "spurious")
    assert selectors.review_queue(ann).count() == 0 and selectors.review_queue(eve).count() == 1
    item.refresh_from_db()
    assert item.state == ReviewItem.State.OPEN  # four votes of five
    services.cast_vote(item, eve, "incorrect", "major", "spurious")
    item.refresh_from_db()
    # 2 correct, 2 incorrect, 1 unclear: a tie, unclear, discussed.
    assert (item.state, item.decision) == (ReviewItem.State.DISCUSSION, "unclear")
    assert list(selectors.discussion_queue()) == [item]
    expert = TruthLabel.objects.get(truth_set__name="expert", image=image, label=classes[2])
    assert expert.status == "unclear"
    # Ann is convinced: her changed vote is a new row, the old one kept. A majority now, but
    # not unanimous: still discussed, with the majority's decision.
    services.cast_vote(item, ann, "incorrect", "major", "fine_grained", comment="a lookalike")
    item.refresh_from_db()
    assert (item.state, item.decision, item.severity) == ("discussion", "incorrect", "major")
    assert item.category == "spurious"  # two of the three mistake votes
    expert.refresh_from_db()
    assert expert.status == "wrong"
    for reviewer in (ann, bob, cid):
        services.cast_vote(item, reviewer, "incorrect", "major", "spurious")
    item.refresh_from_db()
    assert (item.state, item.decision, item.category) == ("decided", "incorrect", "spurious")
    assert ReviewVote.objects.filter(item=item).count() == 9
    assert ReviewVote.objects.filter(item=item, reviewer=ann, superseded=True).count() == 2
    assert selectors.queue_sizes(ann) == {
        "open": 0,
        "discussion": 0,
        "decided": 1,
        "flagged_images": 0,
        "mine": 0,
    }


def test_a_mistake_needs_severity_and_category(catalogue):
    classes = by_index(catalogue)
    image = val_image(Dataset.objects.create(name="ds"), 1, classes[1])
    item = ReviewItem.objects.create(image=image, label=classes[2])
    with pytest.raises(services.ReviewError, match="severity"):
        services.cast_vote(item, staff("ann"), "incorrect", "", "spurious")
    with pytest.raises(services.ReviewError, match="verdict"):
        services.cast_vote(item, staff("bob"), "maybe")
    assert not ReviewVote.objects.exists()


def test_major_mistakes_slice(catalogue, tmp_path, settings):
    settings.FINELABEL_REVIEW_PANEL_SIZE = 2  # ann and bob decide
    classes = by_index(catalogue)
    dataset = Dataset.objects.create(name="ds")
    images = [val_image(dataset, n, classes[n]) for n in range(1, 4)]
    ann, bob = staff("ann"), staff("bob")

    def decide(image, label, severity):
        item = ReviewItem.objects.create(image=image, label=classes[label])
        for reviewer in (ann, bob):
            services.cast_vote(item, reviewer, "incorrect", severity, "fine_grained")

    def right(image, label):
        item = ReviewItem.objects.create(image=image, label=classes[label])
        for reviewer in (ann, bob):
            services.cast_vote(item, reviewer, "correct")

    # Image 0: models a, b, c predict 100 (major), d predicts 101 (minor): 3 of 4 major.
    # Image 1: a, b predict 200 (major), c, d 201 (minor): 2 of 4.
    # Image 2: all four predict 300 (major) but no label of image 2 is known correct.
    decide(images[0], 100, "major"), decide(images[0], 101, "minor"), right(images[0], 1)
    decide(images[1], 200, "major"), decide(images[1], 201, "minor"), right(images[1], 2)
    decide(images[2], 300, "major")
    for model, labels in {
        "a": (100, 200, 300),
        "b": (100, 200, 300),
        "c": (100, 201, 300),
        "d": (101, 201, 300),
    }.items():
        for image, label in zip(images, labels, strict=True):
            predict(model, image, label)
    out = StringIO()
    call_command("build_slice", "--name", "imagenet-m", "--models", "a,b,c,d", stdout=out)
    evaluation_slice = EvaluationSlice.objects.get(name="imagenet-m")
    assert set(evaluation_slice.images.all()) == {images[0]}
    assert "1 images (pool: 3 major mistakes of a; 2 with >= 3 of 4 major mistakes, 1 dropped" in (
        out.getvalue()
    )
    call_command(
        "build_slice", "--name", "imagenet-m", "--models", "a,b,c,d", "--min-major", "2", stdout=out
    )
    assert set(evaluation_slice.images.all()) == {images[0], images[1]}
    # The pool is the reviewed model's major mistakes: d's is image 2 only (no correct label).
    out = StringIO()
    call_command(
        "build_slice",
        *("--name", "imagenet-m", "--models", "a,b,c,d", "--min-major", "2"),
        *("--reviewed-model", "d"),
        stdout=out,
    )
    assert "0 images (pool: 1 major mistakes of d; 1 with >= 2 of 4" in out.getvalue()
    evaluation_slice.refresh_from_db()
    assert evaluation_slice.params["reviewed_model"] == "d"
    call_command(
        "build_slice",
        "--name",
        "imagenet-m",
        "--models",
        "a,b,c,d",
        "--min-major",
        "2",
        stdout=StringIO(),
    )
    # Scoring on the slice: model d is right nowhere (minor mistakes are still mistakes).
    report = selectors.compute_scores(["a", "d"], [expert_set()], None, evaluation_slice)
    assert report.scores["d"].slices["all"].wrong == 2
    with pytest.raises(CommandError, match="between 1 and 4"):
        call_command("build_slice", "--name", "x", "--models", "a,b,c,d", "--min-major", "5")


def test_problematic_images_are_scored_apart(catalogue):
    classes = by_index(catalogue)
    image = val_image(Dataset.objects.create(name="ds"), 1, classes[1])
    ann = staff("ann")
    services.set_flags(image, ann, ["drawing", "edited"])
    services.set_flags(image, ann, ["drawing"])
    assert list(ProblemFlag.objects.values_list("kind", flat=True)) == ["drawing"]
    ImageTruthSet = GroundTruthSet.objects.create(name="t", kind="imported")
    TruthLabel.objects.create(
        truth_set=ImageTruthSet, image=image, label=classes[1], status="correct"
    )
    predict("m", image, 1)
    report = selectors.compute_scores(["m"], [ImageTruthSet])
    assert report.scores["m"].slices["all"].scored == 0
    assert report.scores["m"].slices["problematic"].right == 1


def test_human_session_is_scored_like_a_model(real_dataset):
    dataset, images, _ = real_dataset
    call_command("import_ground_truth", "--dataset", "val", "--real", stdout=StringIO())
    ann = staff("ann")
    session = services.start_session("ann-1", ann, dataset)
    for n, label in {2: 795, 3: 230, 4: 1}.items():
        services.record_pick(session, ann, images[n], label, 1500)
    out = StringIO()
    call_command("score", "--models", "human:ann-1", "--ground-truth", "real", stdout=out)
    line = next(
        x for x in out.getvalue().splitlines() if x.startswith("human:ann-1") and " all " in x
    )
    assert line.split()[2] == "66.7"  # 2 of 3
