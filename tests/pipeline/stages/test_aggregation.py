"""Stage 6 shell: final labels stored from kept CLASSIFY answers, and for skipped images."""

from __future__ import annotations

import itertools
import json
from itertools import islice

import pytest

from bench.reference_data import classify_dev_path
from catalogue.models import LabelClass
from crowd.models import Assignment, ClassifyAnswer, ClassifyAnswerLabel, Worker
from pipeline.models import (
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    SelectionFrequency,
    StageRun,
)
from pipeline.rules.aggregation import object_labels
from pipeline.stages.aggregation import aggregate_campaign, stored_aggregates
from pipeline.stages.classify_qc import run_qc
from pipeline.stages.classify_tasks import ClassifyStageError
from tests.pipeline.classify_builders import FRUIT, answer, follow_up, make_campaign, task_for

pytestmark = pytest.mark.django_db
NAMES = itertools.count()
CLASSIFY_DEV = classify_dev_path()


@pytest.fixture
def fruit(catalogue):
    return [catalogue[w] for w in FRUIT]


def image_with_answers(campaign, label, answers, candidates):
    """A follow-up image and its answers [(selected, main)], in submission order."""
    image = follow_up(campaign, f"img{next(NAMES)}", label, candidates)
    task = task_for(campaign, image)
    for n, (selected, main) in enumerate(answers):
        answer(task, f"w{n}", selected, main)
    return image


def labels_of(image):
    head = ImageLabels.objects.get(image=image)
    objects = [
        {
            x.label_id: (x.share, x.selection_frequency)
            for x in ImageObjectLabel.objects.filter(object=obj)
        }
        for obj in ImageObject.objects.filter(image_labels=head).order_by("index")
    ]
    names = list(
        ImageObject.objects.filter(image_labels=head).order_by("index").values_list("label_id")
    )
    return head, objects, [n for (n,) in names]


def row_counts() -> list[int]:
    # ImageLabels.objects is the reverse relation to ImageObject (related_name="objects")
    return [m.objects.count() for m in (ImageLabels, ImageObject, ImageObjectLabel)]


def aggregate(campaign):
    run_qc(campaign)
    return aggregate_campaign(campaign)


def test_single_object_with_shares_and_selection_frequencies(fruit):
    campaign = make_campaign()
    orange, lemon, _ = fruit
    image = image_with_answers(
        campaign, orange, [([orange], orange), ([orange], orange), ([orange, lemon], orange)], fruit
    )
    summary = aggregate(campaign)
    head, objects, names = labels_of(image)
    assert (head.num_objects, head.main_label, head.answers) == (1, orange, 3)
    assert (head.main_object, head.dataset_object) == (0, 0)
    assert objects == [{orange.pk: (0.75, 1.0), lemon.pk: (0.25, pytest.approx(1 / 3))}]
    assert names == [orange.pk]
    assert summary.classified == 1 and summary.objects == {1: 1}
    run = StageRun.objects.get(campaign=campaign, stage=StageRun.Stage.AGGREGATION)
    assert run.status == StageRun.Status.DONE and head.run_id == run.pk
    campaign.refresh_from_db()
    assert campaign.state == campaign.State.DONE


def test_ties_go_to_the_first_answer(fruit):
    campaign = make_campaign()
    orange, lemon, _ = fruit
    image = image_with_answers(campaign, orange, [([lemon], lemon), ([orange], orange)], fruit)
    summary = aggregate(campaign)
    head, objects, names = labels_of(image)
    assert head.main_label == lemon and head.num_objects == 1
    assert objects == [{lemon.pk: (0.5, 0.5), orange.pk: (0.5, 0.5)}]
    assert names == [lemon.pk]  # equal selections: the first listed names the object
    assert summary.main_differs == 1


def test_more_labels_than_objects(fruit):
    campaign = make_campaign()
    orange, lemon, berry = fruit
    image = image_with_answers(
        campaign,
        orange,
        [([orange, lemon], orange), ([orange, lemon], orange), ([orange, berry], orange)],
        fruit,
    )
    aggregate(campaign)
    head, objects, names = labels_of(image)
    assert head.num_objects == 2
    by_label = {frozenset(obj): obj for obj in objects}
    alone = by_label[frozenset({orange.pk})]
    pair = by_label[frozenset({lemon.pk, berry.pk})]  # never selected together: one object
    assert alone == {orange.pk: (1.0, 1.0)}
    assert pair[lemon.pk] == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert pair[berry.pk] == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert set(names) == {orange.pk, lemon.pk}
    assert head.main_object == head.dataset_object == objects.index(alone)


def test_label_only_ever_listed_alone_is_in_no_object(fruit):
    campaign = make_campaign()
    orange, lemon, berry = fruit
    image = image_with_answers(  # the dataset label, strawberry, only ever selected alone
        campaign,
        berry,
        [([orange, lemon], orange), ([orange, lemon], orange), ([berry], berry)],
        fruit,
    )
    summary = aggregate(campaign)
    head, objects, _ = labels_of(image)
    assert head.num_objects == 2 and head.main_label == orange
    assert [set(obj) for obj in objects] in ([{orange.pk}, {lemon.pk}], [{lemon.pk}, {orange.pk}])
    assert head.dataset_object is None and summary.dataset_label_dropped == 1
    assert objects[head.main_object] == {orange.pk: (1.0, pytest.approx(2 / 3))}


def test_image_with_thirteen_labels_is_split_into_its_objects(catalogue):
    campaign = make_campaign()
    labels = list(LabelClass.objects.order_by("index")[:13])
    groups = [labels[:5], labels[5:9], labels[9:]]
    answers = [
        ([groups[0][i % 5], groups[1][i % 4], groups[2][(i // 5) % 4]], groups[0][i % 5])
        for i in range(20)
    ]
    image = image_with_answers(campaign, labels[0], answers, labels)
    aggregate(campaign)
    head, objects, names = labels_of(image)
    assert head.num_objects == 3 and head.answers == 20
    assert {frozenset(obj) for obj in objects} == {frozenset(x.pk for x in g) for g in groups}
    assert objects[head.dataset_object] == objects[head.main_object]
    for obj in objects:
        assert sum(share for share, _ in obj.values()) == pytest.approx(1.0)


def test_images_that_skipped_classify(fruit):
    campaign = make_campaign()
    orange, lemon, _ = fruit
    easy = follow_up(campaign, "easy", orange, [orange], ImageInclusion.Category.EASY)
    SelectionFrequency.objects.create(
        campaign=campaign, image=easy, label=orange, selected=8, answers=9, frequency=8 / 9
    )
    bare = follow_up(campaign, "easy2", lemon, [lemon], ImageInclusion.Category.EASY)
    follow_up(campaign, "odd", lemon, [lemon], ImageInclusion.Category.MISLABELED)
    follow_up(campaign, "few", lemon, [lemon], ImageInclusion.Category.AMBIGUOUS)
    summary = aggregate(campaign)
    head, objects, names = labels_of(easy)
    assert (head.num_objects, head.main_label, head.answers) == (1, orange, 0)
    assert (head.main_object, head.dataset_object, names) == (0, 0, [orange.pk])
    assert objects == [{orange.pk: (1.0, pytest.approx(8 / 9))}]
    assert labels_of(bare)[1] == [{lemon.pk: (1.0, 1.0)}]  # no CONTAINS frequency stored
    assert ImageLabels.objects.count() == 2
    assert (summary.easy, summary.mislabeled, summary.ambiguous) == (2, 1, 1)


def test_image_without_surviving_answers_gets_no_labels(fruit):
    campaign = make_campaign()
    orange, lemon, _ = fruit
    image = image_with_answers(campaign, orange, [([], orange), ([lemon], orange)], fruit)
    summary = aggregate(campaign)
    assert not ImageLabels.objects.filter(image=image).exists()
    assert summary.no_answers == 1 and summary.classified == 0


def test_rerun_replaces_the_previous_labels(fruit):
    campaign = make_campaign()
    orange, lemon, _ = fruit
    image = image_with_answers(
        campaign, orange, [([orange, lemon], orange), ([orange], orange)], fruit
    )
    aggregate(campaign)
    first = stored_aggregates(campaign)
    counts = row_counts()
    aggregate_campaign(campaign)
    assert stored_aggregates(campaign) == first
    assert row_counts() == counts
    for n in range(2, 5):  # new answers change the result, the old rows go
        answer(image.classify_tasks.get(), f"w{n}", [orange, lemon], lemon)
    aggregate(campaign)
    head, _, _ = labels_of(image)
    assert head.num_objects == 2 and head.answers == 5
    assert ImageLabels.objects.count() == 1


def test_answers_not_through_quality_control_are_refused(fruit):
    campaign = make_campaign()
    orange = fruit[0]
    image_with_answers(campaign, orange, [([orange], orange)], fruit)
    aggregate(campaign)
    before = stored_aggregates(campaign)
    image_with_answers(campaign, orange, [([orange], orange)], fruit)  # not checked yet
    with pytest.raises(ClassifyStageError, match="1 CLASSIFY answers .* quality control"):
        aggregate_campaign(campaign)
    assert stored_aggregates(campaign) == before


@pytest.mark.skipif(not CLASSIFY_DEV.is_file(), reason=f"no reference data at {CLASSIFY_DEV}")
def test_stored_answers_of_published_images_aggregate_to_the_published_reference(catalogue):
    """Published answers stored as a campaign's answers come out of QC and the aggregation
    stage exactly as the authors' aggregates (the same function the replay command uses)."""
    with CLASSIFY_DEV.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in islice(lines, 3, None, 20)]
    campaign = make_campaign("published")
    by_index = {c.index: c for c in catalogue.values()}
    workers = [Worker.objects.create(external_id=f"pub{n}") for n in range(9)]
    images = {}
    for record in records:
        labels = {label for r in record["responses"] for label in r["selected"]}
        images[record["image"]] = image = follow_up(
            campaign,
            record["image"],
            by_index[record["imagenet_label"]],
            [by_index[i] for i in sorted(labels)],
        )
        task = task_for(campaign, image)
        for who, response in zip(workers, record["responses"], strict=False):
            assignment = Assignment.objects.create(
                campaign=campaign, kind="classify", classify_task=task, worker=who
            )
            row = ClassifyAnswer.objects.create(
                assignment=assignment,
                task=task,
                worker=who,
                main_label=by_index[response["main"]],
            )
            ClassifyAnswerLabel.objects.bulk_create(
                ClassifyAnswerLabel(answer=row, label=by_index[i]) for i in response["selected"]
            )
    assert aggregate(campaign).classified == len(records) > 100
    stored = stored_aggregates(campaign)
    multi = 0
    for record in records:
        image = images[record["image"]]
        assert stored[image.pk] == record["reference"], record["image"]
        names = ImageObject.objects.filter(image_labels__image=image).order_by("index")
        assert [o.label.index for o in names] == object_labels(record["reference"]["objects"])
        multi += record["reference"]["num_objects"] > 1
    assert multi > 20
