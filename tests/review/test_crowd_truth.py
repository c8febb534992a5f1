"""Ground truth from a campaign's crowd labels (`crowd_truth`, `import_ground_truth
--campaign`): the final labels' objects are correct, the other labels workers gave an object
unclear, the other potential labels wrong; an easy image only has its dataset label judged.
Built through the models, on PostgreSQL."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalogue.models import Dataset
from pipeline.models import (
    Campaign,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    PotentialLabel,
)
from review.models import GroundTruthSet, TruthLabel
from review.truth import crowd_truth
from tests.pipeline.labels_data import by_index, make_image

pytestmark = pytest.mark.django_db


def final_labels(campaign, image, objects, classes, answers=9):
    """ImageLabels of `image`: one object per entry, named by its first label, each label
    given as (class index, selection frequency)."""
    head = ImageLabels.objects.create(
        campaign=campaign,
        image=image,
        main_label=classes[objects[0][0][0]],
        num_objects=len(objects),
        main_object=0,
        answers=answers,
    )
    for index, members in enumerate(objects):
        obj = ImageObject.objects.create(
            image_labels=head, index=index, label=classes[members[0][0]]
        )
        for label, frequency in members:
            ImageObjectLabel.objects.create(
                object=obj,
                label=classes[label],
                share=1 / len(members),
                selection_frequency=frequency,
            )


def potential(campaign, image, indices, classes):
    for index in indices:
        PotentialLabel.objects.create(
            campaign=campaign,
            image=image,
            label=classes[index],
            is_dataset_label=classes[index].pk == image.label_id,
        )


def include(campaign, image, category):
    ImageInclusion.objects.create(campaign=campaign, image=image, category=category)


def stored(truth_set) -> dict[int, dict[int, str]]:
    """image pk -> {class index: status}."""
    out: dict[int, dict[int, str]] = {}
    rows = TruthLabel.objects.filter(truth_set=truth_set).values_list(
        "image_id", "label__index", "status"
    )
    for image, index, status in rows:
        out.setdefault(image, {})[index] = status
    return out


@pytest.fixture
def crowd(catalogue):
    """A campaign over four images.

    two: dataset label 10, potential labels 10-14, two objects: one named 11 (workers also
    gave it 13, and 10 with a low selection frequency), one named 13.
    easy: dataset label 20, potential labels 20-22, easy (no CLASSIFY), stored by the
    aggregation as one object named 20.
    easy_unaggregated: dataset label 30, easy, with no final labels yet.
    mislabeled: dataset label 40, potential labels 40-41, no final labels.
    Another campaign on the same dataset gives `two` other objects (not this campaign's)."""
    classes = by_index()
    dataset = Dataset.objects.create(name="crowd-ds")
    campaign = Campaign.objects.create(name="crowd-c", dataset=dataset)
    other = Campaign.objects.create(name="other-c", dataset=dataset)
    images = {
        name: make_image(dataset, classes[label])
        for name, label in (
            ("two", 10),
            ("easy", 20),
            ("easy_unaggregated", 30),
            ("mislabeled", 40),
        )
    }
    potential(campaign, images["two"], [10, 11, 12, 13, 14], classes)
    include(campaign, images["two"], ImageInclusion.Category.FOLLOW_UP)
    final_labels(
        campaign, images["two"], [[(11, 0.8), (13, 0.3), (10, 0.05)], [(13, 0.9)]], classes
    )
    potential(campaign, images["easy"], [20, 21, 22], classes)
    include(campaign, images["easy"], ImageInclusion.Category.EASY)
    final_labels(campaign, images["easy"], [[(20, 0.9)]], classes, answers=0)
    include(campaign, images["easy_unaggregated"], ImageInclusion.Category.EASY)
    potential(campaign, images["mislabeled"], [40, 41], classes)
    include(campaign, images["mislabeled"], ImageInclusion.Category.MISLABELED)
    final_labels(other, images["two"], [[(14, 0.9)]], classes)
    potential(other, images["two"], [14, 15], classes)
    return campaign, images


def test_crowd_truth_judges_objects_unclear_and_wrong_labels(crowd):
    campaign, images = crowd
    report = crowd_truth(campaign)
    truth_set = report.truth_set
    assert (truth_set.name, truth_set.kind) == (f"crowd-{campaign.pk}", GroundTruthSet.Kind.CROWD)
    assert truth_set.campaign == campaign and not truth_set.exhaustive
    truth = stored(truth_set)
    two = images["two"]
    correct = {label for label, status in truth[two.pk].items() if status == "correct"}
    objects = set(
        ImageObject.objects.filter(
            image_labels__campaign=campaign, image_labels__image=two
        ).values_list("label__index", flat=True)
    )
    assert correct == objects == {11, 13}  # 13 is an object's label, not only a member
    assert truth[two.pk] == {
        11: "correct",
        13: "correct",
        10: "unclear",  # a label workers gave an object, however rarely
        12: "wrong",
        14: "wrong",  # the other campaign's object does not count here
    }
    # Easy images: the dataset label alone, whether or not the aggregation stored them.
    assert truth[images["easy"].pk] == {20: "correct"}
    assert truth[images["easy_unaggregated"].pk] == {30: "correct"}
    assert images["mislabeled"].pk not in truth
    assert (report.images, report.labels) == (3, 7)


def test_crowd_truth_rerun_replaces_its_rows(crowd):
    campaign, images = crowd
    first = crowd_truth(campaign)
    before = stored(first.truth_set)
    out = StringIO()
    call_command("import_ground_truth", "--campaign", str(campaign.pk), stdout=out)
    assert f"crowd-{campaign.pk}: 3 images, 7 labels" in out.getvalue()
    assert GroundTruthSet.objects.filter(name=f"crowd-{campaign.pk}").count() == 1
    assert TruthLabel.objects.filter(truth_set=first.truth_set).count() == 7
    assert stored(first.truth_set) == before
    # New final labels (a later aggregation): the object named 13 is gone, so 13 is now only
    # a label workers gave the first object, and the set holds no stale row.
    ImageObject.objects.filter(image_labels__campaign=campaign, label__index=13).delete()
    crowd_truth(campaign)
    truth = stored(first.truth_set)
    assert truth[images["two"].pk] == {
        11: "correct",
        13: "unclear",
        10: "unclear",
        12: "wrong",
        14: "wrong",
    }
    assert TruthLabel.objects.filter(truth_set=first.truth_set).count() == 7
