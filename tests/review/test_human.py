"""Human-accuracy mode's training split, training round and time per image, through the
services and the screens: examples never come from the measured images, training picks get
feedback and are never scored, and the median time per image comes from the stored picks
and the crowd's answers."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import Dataset, Image
from crowd.models import Assignment, ClassifyAnswer, ClassifyTask, ContainsAnswer, Verification
from review import human, selectors, services
from review.models import EvaluationSlice, GroundTruthSet, HumanPick, HumanSession, TruthLabel
from tests.builders import answer, hand_grid, worker
from tests.crowd.factories import make_image
from tests.review.factories import staff

pytestmark = pytest.mark.django_db

GOLDFISH, TENCH, SHARK, RETRIEVER = 1, 0, 2, 207


@pytest.fixture
def classes(catalogue):
    return {c.index: c for c in catalogue.values()}


@pytest.fixture
def split(classes):
    """A measured dataset (two goldfish images, one in a slice) and a training split with a
    goldfish, a copy of the first measured image's bytes, a tench and a golden retriever."""
    val, train = Dataset.objects.create(name="val"), Dataset.objects.create(name="train")
    measured = [make_image(val, classes[GOLDFISH]), make_image(val, classes[GOLDFISH])]
    examples = {
        "goldfish": make_image(train, classes[GOLDFISH]),
        "copy": make_image(train, classes[GOLDFISH]),
        "tench": make_image(train, classes[TENCH]),
        "retriever": make_image(train, classes[RETRIEVER]),
    }
    examples["copy"].sha256 = measured[0].sha256  # the same bytes, imported into both
    examples["copy"].save(update_fields=["sha256"])
    return val, train, measured, examples


def test_examples_come_from_the_training_split_never_from_measured_images(split, classes):
    val, train, measured, examples = split
    session = services.start_session("ann-1", staff("ann"), val, examples=train)
    assert human.class_examples(session, classes[GOLDFISH]) == [examples["goldfish"]]
    assert human.class_examples(session, classes[TENCH]) == [examples["tench"]]
    assert examples["copy"] not in human.split_images(session)


def test_the_measured_dataset_is_refused_as_training_split(split):
    val, _, measured, _ = split
    with pytest.raises(services.ReviewError, match="training split, not from the dataset"):
        services.start_session("ann-1", staff("ann"), val, examples=val)
    assert not HumanSession.objects.exists()
    # Set so by other means (the admin), a measured image is still never an example (by id);
    # measuring only a slice, the rest of the dataset may serve.
    session = HumanSession.objects.create(
        name="ann-2", labeller=staff("bob"), dataset=val, examples=val
    )
    assert not human.split_images(session).exists()
    one = EvaluationSlice.objects.create(name="one")
    one.images.set([measured[0]])
    session.evaluation_slice = one
    session.save()
    assert list(human.split_images(session)) == [measured[1]]


def test_examples_and_guide_open_as_json_for_the_labeller_only(client, split, classes):
    val, train, _, _ = split
    ann = staff("ann")
    services.start_session("ann-1", ann, val, examples=train)
    services.save_guide(classes[GOLDFISH], "Orange, with a forked tail.", ann)
    for url in (
        reverse("human-examples", args=["ann-1", GOLDFISH]),
        reverse("human-results", args=["ann-1"]),
    ):
        assert client.get(url).status_code == 302  # to the login page
    assert client.post(reverse("human-training", args=["ann-1"])).status_code == 302
    client.force_login(ann)
    data = client.get(reverse("human-examples", args=["ann-1", GOLDFISH])).json()
    assert (data["name"], data["guide"], data["split"]) == (
        "goldfish",
        "Orange, with a forked tail.",
        "train",
    )
    assert len(data["examples"]) == 1 and data["examples"][0]["thumb"].startswith("/img/")
    assert client.get(reverse("human-examples", args=["ann-1", 5000])).status_code == 404
    client.force_login(staff("bob"))
    assert client.get(reverse("human-examples", args=["ann-1", GOLDFISH])).status_code == 403


def pick(client, name, image, label, duration=1200, url="human-training"):
    return client.post(
        reverse(url, args=[name]),
        {"image": image.public_id, "label": str(label), "duration_ms": str(duration)},
    )


def test_training_round_shows_feedback_first_and_is_never_scored(client, split, classes):
    val, train, measured, examples = split
    ann = staff("ann")
    session = services.start_session("ann-1", ann, val, examples=train, training_size=2)
    # The tench example is also a shark according to a ground-truth set: both are correct.
    truth = GroundTruthSet.objects.create(name="lab", kind="imported")
    TruthLabel.objects.create(
        truth_set=truth, image=examples["tench"], label=classes[SHARK], status="correct"
    )
    client.force_login(ann)
    page = client.get(reverse("human-label", args=["ann-1"]))
    assert b"training round" in page.content and b"0 / 2" in page.content
    first = human.next_training_image(session)
    assert first == examples["goldfish"]  # the copy of a measured image is never shown
    assert first.public_id.encode() in page.content

    # Measured picks wait for the training round.
    with pytest.raises(services.ReviewError, match="Finish the training round"):
        services.record_pick(session, ann, measured[0], GOLDFISH, 900)
    pick(client, "ann-1", measured[0], GOLDFISH, url="human-label")
    assert not HumanPick.objects.exists()

    wrong = pick(client, "ann-1", first, TENCH).json()
    assert (wrong["right"], wrong["picked"], wrong["correct"]) == (False, "tench", ["goldfish"])
    assert (wrong["done"], wrong["training_over"]) == (1, False)
    second = human.next_training_image(session)
    assert second == examples["tench"]
    right = pick(client, "ann-1", second, SHARK).json()
    assert right["right"] and right["correct"] == ["tench", "great white shark"]
    assert (right["done"], right["right_so_far"], right["training_over"]) == (1 + 1, 1, True)
    late = pick(client, "ann-1", examples["retriever"], RETRIEVER)
    assert late.status_code == 400 and "over" in late.json()["error"]
    assert pick(client, "ann-1", measured[0], GOLDFISH).status_code == 400  # not a training image

    # Then the measured round: scored on its own picks only.
    page = client.get(reverse("human-label", args=["ann-1"]))
    assert b"Measured round" in page.content and b"1 of 2 right" in page.content
    assert measured[0].public_id.encode() in page.content
    pick(client, "ann-1", measured[0], TENCH, url="human-label")
    predictions = selectors.predictions_for("human:ann-1", Image.objects.all())
    assert predictions.labels == {measured[0].pk: classes[TENCH].pk}
    assert HumanPick.objects.filter(training=True).count() == 2
    sessions = client.get("/api/human-sessions/").json()
    rows = sessions["results"] if isinstance(sessions, dict) else sessions
    assert rows[0]["pick_count"] == 1


def test_training_picks_need_a_training_split(split):
    val, _, _, _ = split
    with pytest.raises(services.ReviewError, match="needs a training split"):
        services.start_session("ann-1", staff("ann"), val, training_size=3)


def crowd_answers(dataset, images, classify_ms, contains_ms):
    """CLASSIFY answers (one image each) and CONTAINS answers on a grid of `images`, with the
    given durations; one more answer of each kind, unconfirmed, that must not count."""
    from pipeline.models import Campaign

    campaign = Campaign.objects.create(name="c", dataset=dataset)
    task = ClassifyTask.objects.create(campaign=campaign, image=images[0], public_id="t1")
    grid = hand_grid(campaign, images[0].label, images, [])
    durations = [(ms, Verification.CONFIRMED) for ms in classify_ms]
    for n, (ms, verification) in enumerate([*durations, (1, Verification.PENDING)]):
        who = worker(f"w{n}")
        assignment = Assignment.objects.create(
            campaign=campaign, kind=Assignment.Kind.CLASSIFY, classify_task=task, worker=who
        )
        ClassifyAnswer.objects.create(
            assignment=assignment, task=task, worker=who, duration_ms=ms, verification=verification
        )
    for n, ms in enumerate(contains_ms):
        answer(grid, worker(f"c{n}"))
        ContainsAnswer.objects.filter(worker__external_id=f"c{n}").update(duration_ms=ms)
    answer(grid, worker("late"))
    ContainsAnswer.objects.filter(worker__external_id="late").update(
        duration_ms=1, verification=Verification.PENDING
    )


def test_time_per_image_from_stored_picks_beside_the_crowd(client, split, classes):
    val, train, measured, examples = split
    ann = staff("ann")
    session = services.start_session("ann-1", ann, val, examples=train, training_size=1)
    human.record_training_pick(session, ann, examples["goldfish"].public_id, GOLDFISH, 60_000)
    services.record_pick(session, ann, measured[0], GOLDFISH, 2000)
    services.record_pick(session, ann, measured[1], GOLDFISH, 5000)
    timing = human.session_time(session)  # the training pick's minute is left out
    assert (timing.n, timing.median) == (2, pytest.approx(3.5))
    # CLASSIFY: 3, 4 and 8 s an image; CONTAINS on a grid of 2 images: 10 s and 30 s an
    # answer, so 5 and 15 s an image.
    crowd_answers(val, measured, [3000, 4000, 8000], [10_000, 30_000])
    crowd = human.crowd_time(val)
    assert (crowd["classify"].n, crowd["classify"].median) == (3, pytest.approx(4.0))
    assert (crowd["contains"].n, crowd["contains"].median) == (2, pytest.approx(10.0))

    out = StringIO()
    call_command(
        "score", "--models", "human:ann-1", "--ground-truth", "expert", "--no-queue", stdout=out
    )
    text = out.getvalue()
    assert "time per image human:ann-1: median 3.5 s" in text
    assert "crowd CLASSIFY on val: median 4.0 s" in text
    assert "crowd CONTAINS on val: median 10.0 s" in text

    client.force_login(ann)
    page = client.get(reverse("human-results", args=["ann-1"])).content.decode()
    assert "3.5 s" in page and "4.0 s" in page and "10.0 s" in page
    assert "1 of 1 right" in page


def test_the_sessions_page_starts_a_session_with_a_training_round(client, split):
    val, train, _, _ = split
    client.force_login(staff("ann"))
    response = client.post(
        reverse("human-sessions"),
        {"name": "ann-1", "dataset": val.pk, "examples": train.pk, "training_size": "3"},
    )
    assert response.status_code == 302
    session = HumanSession.objects.get()
    assert (session.examples, session.training_size) == (train, 3)
    bad = client.post(
        reverse("human-sessions"),
        {"name": "ann-2", "dataset": val.pk, "examples": val.pk, "training_size": "x"},
        follow=True,
    )
    assert b"must be a whole number" in bad.content
    assert HumanSession.objects.count() == 1
