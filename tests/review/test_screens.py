"""The review and human-accuracy views through Django's test client: access, votes, flags,
guide notes and picks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Dataset
from review import services
from review.models import ClassGuide, HumanPick, ProblemFlag, ReviewItem, ReviewVote
from tests.review.factories import staff, val_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(catalogue):
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="ds")
    image = val_image(dataset, 1, classes[1])
    return ReviewItem.objects.create(image=image, label=classes[2], score=0.61)


def test_screens_need_staff_or_a_reviewer(client, item, django_user_model):
    url = reverse("review-item", args=[item.pk])
    assert client.get(url).status_code == 302
    django_user_model.objects.create_user("visitor", password="x")
    client.login(username="visitor", password="x")
    assert client.get(url).status_code == 403
    assert client.get(reverse("review-classes")).status_code == 403


def test_vote_by_form_and_refusal(client, item):
    client.force_login(staff("ann"))
    page = client.get(reverse("review-next"), follow=True)
    assert page.status_code == 200 and b"goldfish" in page.content and b"0.610" in page.content
    bad = client.post(reverse("review-item", args=[item.pk]), {"verdict": "incorrect"})
    assert bad.status_code == 400 and b"severity" in bad.content
    assert not ReviewVote.objects.exists()
    done = client.post(
        reverse("review-item", args=[item.pk]),
        {
            "verdict": "incorrect",
            "severity": "minor",
            "category": "fine_grained",
            "flags": ["drawing"],
            "duration_ms": "1234",
        },
    )
    assert done.status_code == 302
    vote = ReviewVote.objects.get()
    assert (vote.verdict, vote.severity, vote.duration_ms) == ("incorrect", "minor", 1234)
    assert list(ProblemFlag.objects.values_list("kind", flat=True)) == ["drawing"]


def test_guide_notes_are_saved(client, item):
    client.force_login(staff("ann"))
    response = client.post(
        reverse("review-guide", args=[item.label.pk]),
        {"notes": "Goldfish are orange; koi are not in the vocabulary."},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["saved"]
    assert ClassGuide.objects.get(label=item.label).notes.startswith("Goldfish are orange")


def test_class_catalogue_json(client, catalogue):
    client.force_login(staff("ann"))
    data = client.get(reverse("review-classes")).json()
    assert len(data["classes"]) == 1000
    index, name, synonyms, wnid = data["classes"][0]
    assert (index, name, wnid) == (0, "tench", "n01440764")
    # The tree goes up to entity; intermediate nodes carry WordNet names.
    assert data["nodes"]["n02084071"][0] == "dog"
    node = wnid
    while data["nodes"][node][1]:
        node = data["nodes"][node][1]
    assert data["nodes"][node][0] == "entity"


def test_human_pick_records_label_and_time(client, item):
    ann = staff("ann")
    client.force_login(ann)
    created = client.post(
        reverse("human-sessions"), {"name": "ann-1", "dataset": item.image.dataset_id}
    )
    assert created.status_code == 302
    page = client.get(reverse("human-label", args=["ann-1"]))
    assert item.image.public_id.encode() in page.content
    client.post(
        reverse("human-label", args=["ann-1"]),
        {"image": item.image.public_id, "label": "7", "duration_ms": "4200"},
    )
    pick = HumanPick.objects.get()
    assert (pick.label.index, pick.duration_ms) == (7, 4200)
    assert (
        b"Every image of this session is labelled"
        in client.get(reverse("human-label", args=["ann-1"])).content
    )
    # Another labeller cannot add to it.
    client.force_login(staff("bob"))
    assert client.get(reverse("human-label", args=["ann-1"])).status_code == 403
    with pytest.raises(services.ReviewError):
        services.record_pick(pick.session, staff("carl"), item.image, 3, 10)
    assert HumanPick.objects.count() == 1


def test_admin_lists_every_review_table(client, item, django_user_model):
    from review import services as s

    admin_user = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    s.cast_vote(item, admin_user, "incorrect", "major", "spurious")
    s.set_flags(item.image, admin_user, ["edited"])
    s.save_guide(item.label, "notes", admin_user)
    session = s.start_session("root-1", admin_user, item.image.dataset)
    s.record_pick(session, admin_user, item.image, 3, 900)
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
        response = client.get(reverse(f"admin:review_{model}_changelist"))
        assert response.status_code == 200, model
    page = client.get(reverse("admin:review_reviewitem_change", args=[item.pk]))
    assert page.status_code == 200 and b"Spurious correlation" in page.content
    assert client.get(reverse("review-home")).status_code == 200
