"""Stage 5 shell: CLASSIFY tasks from the follow-up images and their candidate labels."""

from __future__ import annotations

import pytest

from crowd.models import ClassifyOption, ClassifyTask
from pipeline.models import CandidateLabel, ImageInclusion, StageRun
from pipeline.rules.classify_tasks import option_order
from pipeline.stages.classify_tasks import ClassifyStageError, create_classify_tasks
from tests.pipeline.classify_builders import answer, follow_up, make_campaign

pytestmark = pytest.mark.django_db

CANDIDATES = ["n07747607", "n07749582", "n07745940", "n03445777", "n06874185", "n04254680"]


@pytest.fixture
def setup(catalogue):
    campaign = make_campaign(seed=7)
    labels = [catalogue[w] for w in CANDIDATES]
    images = [follow_up(campaign, f"f{i}", labels[0], labels) for i in range(12)]
    easy = follow_up(campaign, "easy", labels[0], labels[:1], ImageInclusion.Category.EASY)
    odd = follow_up(campaign, "odd", labels[1], [labels[1]], ImageInclusion.Category.MISLABELED)
    return {"campaign": campaign, "labels": labels, "images": images, "skipped": [easy, odd]}


def options_of(task: ClassifyTask) -> list[int]:
    return list(task.options.order_by("position").values_list("label_id", flat=True))


def snapshot(campaign) -> dict[int, tuple[str, list[int]]]:
    return {
        t.image_id: (t.public_id, options_of(t))
        for t in ClassifyTask.objects.filter(campaign=campaign)
    }


def test_one_task_per_follow_up_image_with_its_candidates_shuffled(setup):
    campaign, labels = setup["campaign"], setup["labels"]
    summary = create_classify_tasks(campaign)
    assert summary.created == summary.tasks == 12
    assert summary.options == 12 * len(labels)
    tasks = ClassifyTask.objects.filter(campaign=campaign)
    assert {t.image_id for t in tasks} == {i.pk for i in setup["images"]}
    orders = [options_of(t) for t in tasks]
    assert all(sorted(order) == sorted(label.pk for label in labels) for order in orders)
    assert len({tuple(order) for order in orders}) > 1  # shuffled per task, not once
    for task in tasks:  # the recorded order is the one the seed gives for that image
        assert options_of(task) == option_order([x.pk for x in labels], 7, task.image_id)
    run = StageRun.objects.get(campaign=campaign, stage=StageRun.Stage.CLASSIFY_TASKS)
    assert run.status == StageRun.Status.DONE and run.params["seed"] == 7
    assert all(t.run_id == run.pk for t in tasks)
    campaign.refresh_from_db()
    assert campaign.state == campaign.State.CLASSIFY


def test_public_ids_are_opaque(setup):
    create_classify_tasks(setup["campaign"])
    tasks = list(ClassifyTask.objects.select_related("image"))
    ids = {t.public_id for t in tasks}
    assert len(ids) == len(tasks)
    for task in tasks:
        assert len(task.public_id) >= 20
        assert str(task.image_id) != task.public_id and task.image.public_id != task.public_id


def test_rerun_changes_nothing(setup):
    campaign = setup["campaign"]
    create_classify_tasks(campaign)
    before = snapshot(campaign)
    summary = create_classify_tasks(campaign)
    assert (summary.created, summary.unchanged, summary.options) == (0, 12, 0)
    assert snapshot(campaign) == before


def test_changed_candidates_replace_unused_options_but_answered_tasks_are_kept(setup, catalogue):
    campaign, labels, images = setup["campaign"], setup["labels"], setup["images"]
    create_classify_tasks(campaign)
    before = snapshot(campaign)
    answered = ClassifyTask.objects.get(image=images[0])
    answer(answered, "w1", [labels[0]], labels[0])
    extra = catalogue["n04409515"]  # tennis ball joins both candidate sets
    for image in images[:2]:
        CandidateLabel.objects.create(
            campaign=campaign, image=image, label=extra, rule=CandidateLabel.Rule.FILL, rank=9
        )
    summary = create_classify_tasks(campaign)
    assert (summary.kept_in_use, summary.replaced, summary.unchanged) == (1, 1, 10)
    after = snapshot(campaign)
    assert after[images[0].pk] == before[images[0].pk]  # answered: untouched
    public_id, order = after[images[1].pk]
    assert public_id == before[images[1].pk][0] and extra.pk in order


def test_images_leaving_classify_lose_unused_tasks_only(setup):
    campaign, labels, images = setup["campaign"], setup["labels"], setup["images"]
    create_classify_tasks(campaign)
    answer(ClassifyTask.objects.get(image=images[0]), "w1", [labels[0]], labels[0])
    ImageInclusion.objects.filter(image__in=images[:3]).update(
        category=ImageInclusion.Category.EASY
    )
    summary = create_classify_tasks(campaign)
    assert (summary.deleted, summary.stale_in_use, summary.tasks) == (2, 1, 10)
    remaining = set(ClassifyTask.objects.values_list("image_id", flat=True))
    assert images[0].pk in remaining and not {images[1].pk, images[2].pk} & remaining
    assert ClassifyTask.objects.get(image=images[0]).answers.count() == 1


def test_follow_up_image_without_candidates_stores_nothing(setup, catalogue):
    campaign = setup["campaign"]
    follow_up(campaign, "bare", catalogue[CANDIDATES[0]], [])
    with pytest.raises(ClassifyStageError, match="1 follow-up images have no candidate labels"):
        create_classify_tasks(campaign)
    assert not ClassifyTask.objects.exists() and not ClassifyOption.objects.exists()
    run = StageRun.objects.get(campaign=campaign, stage=StageRun.Stage.CLASSIFY_TASKS)
    assert run.status == StageRun.Status.FAILED and "candidate" in run.message


def test_campaign_without_inclusion_results_is_refused(catalogue):
    with pytest.raises(ClassifyStageError, match="run stage 4"):
        create_classify_tasks(make_campaign("empty"))


def test_another_seed_gives_other_orders(setup):
    labels = [x.pk for x in setup["labels"]]
    orders = {image: option_order(labels, 7, image) for image in range(20)}
    assert any(option_order(labels, 8, image) != orders[image] for image in orders)
    assert all(option_order(labels, 7, image) == orders[image] for image in orders)
