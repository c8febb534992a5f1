"""The data model: migrations in step with the models, constraints that protect the data."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from catalogue.models import Dataset, Image
from crowd.models import Assignment, ContainsAnswer, ContainsGrid, GridItem, Worker
from pipeline.models import Campaign, PotentialLabel, SelectionFrequency
from pipeline.params import PAPER, CampaignParams

pytestmark = pytest.mark.django_db


def test_migrations_match_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.fixture
def base(catalogue):
    tench, goldfish = catalogue["n01440764"], catalogue["n01443537"]
    dataset = Dataset.objects.create(name="d")
    image = make_image(dataset, tench, "a")
    campaign = Campaign.objects.create(name="c", dataset=dataset)
    return {
        "tench": tench,
        "goldfish": goldfish,
        "dataset": dataset,
        "image": image,
        "campaign": campaign,
    }


def make_image(dataset, label, name):
    return Image.objects.create(
        dataset=dataset,
        source=f"/src/{name}.jpg",
        label=label,
        storage_key=f"k/{name}",
        thumbnail_key=f"t/{name}",
        sha256=name * 64 if len(name) == 1 else name,
        width=10,
        height=10,
        file_size=1,
    )


def test_campaign_defaults_are_the_papers_numbers(base):
    campaign = base["campaign"]
    campaign.refresh_from_db()
    assert campaign.params == PAPER
    assert campaign.grid_size == 48 and campaign.min_controls == 5
    assert campaign.contains_assignments == 9 and campaign.classify_assignments == 9
    assert campaign.contains_reward == Decimal("0.20")
    assert campaign.classify_reward == Decimal("0.08")
    assert campaign.qc_worker_control_rate == 0.2 and campaign.qc_grid_control_rate == 0.4
    assert campaign.candidate_max == 6 and campaign.candidate_dataset_sf_floor == 0.125


def test_every_parameter_is_a_campaign_field():
    names = {f.name for f in Campaign._meta.get_fields()}
    assert set(CampaignParams.field_names()) <= names


def assert_rejected(**kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        kwargs.pop("model").objects.create(**kwargs)


def test_image_source_and_content_are_unique_per_dataset(base):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_image(base["dataset"], base["tench"], "a")
    other = Dataset.objects.create(name="other")
    make_image(other, base["tench"], "a")  # the same file may sit in another dataset


def test_campaign_constraints(base):
    assert_rejected(
        model=Campaign, name="bad", dataset=base["dataset"], grid_size=5, min_controls=5
    )
    assert_rejected(
        model=Campaign, name="bad2", dataset=base["dataset"], candidate_min=7, candidate_max=6
    )


def test_potential_labels_and_frequencies_are_unique_per_pair(base):
    c, img, tench = base["campaign"], base["image"], base["tench"]
    PotentialLabel.objects.create(campaign=c, image=img, label=tench, is_dataset_label=True)
    assert_rejected(model=PotentialLabel, campaign=c, image=img, label=tench)
    SelectionFrequency.objects.create(
        campaign=c, image=img, label=tench, selected=3, answers=9, frequency=3 / 9
    )
    assert_rejected(
        model=SelectionFrequency,
        campaign=c,
        image=img,
        label=base["goldfish"],
        selected=10,
        answers=9,
        frequency=1.1,
    )


def test_grid_positions_images_and_one_answer_per_worker(base):
    c = base["campaign"]
    grid = ContainsGrid.objects.create(campaign=c, number=1, query=base["tench"], public_id="g1")
    GridItem.objects.create(grid=grid, position=0, image=base["image"], is_control=True)
    assert_rejected(
        model=GridItem, grid=grid, position=0, image=make_image(base["dataset"], base["tench"], "b")
    )
    assert_rejected(model=GridItem, grid=grid, position=1, image=base["image"])
    worker = Worker.objects.create(external_id="W1")
    first = Assignment.objects.create(
        campaign=c, kind="contains", grid=grid, worker=worker, external_id="A1"
    )
    ContainsAnswer.objects.create(assignment=first, grid=grid, worker=worker)
    second = Assignment.objects.create(
        campaign=c, kind="contains", grid=grid, worker=worker, external_id="A2"
    )
    assert_rejected(model=ContainsAnswer, assignment=second, grid=grid, worker=worker)


def test_assignment_must_point_at_a_task_of_its_kind(base):
    worker = Worker.objects.create(external_id="W1")
    assert_rejected(model=Assignment, campaign=base["campaign"], kind="contains", worker=worker)
    grid = ContainsGrid.objects.create(
        campaign=base["campaign"], number=1, query=base["tench"], public_id="g1"
    )
    assert_rejected(
        model=Assignment, campaign=base["campaign"], kind="classify", grid=grid, worker=worker
    )


def test_deleting_a_class_in_use_is_refused(base):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        base["tench"].delete()
