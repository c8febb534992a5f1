"""`manage.py demo`'s last lines: the address its links are built on (--host) and the summary
of the final labels. The whole demo run, links included, is tested in
tests/pipeline/stages/test_potential_labels.py (test_demo_runs_the_stage_with_random_weights)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import Dataset
from pipeline.models import Campaign, ImageLabels
from simulation.management.commands.demo import base_url, labels_summary, where_to_look
from tests.pipeline.classify_builders import FRUIT, make_campaign, make_image


def test_links_are_built_on_the_host_given():
    assert base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert base_url("127.0.0.1:9000") == "http://127.0.0.1:9000"  # the Makefile's HOST form
    assert base_url("https://labels.example.org/") == "https://labels.example.org"
    assert base_url(" http://[::1]:8000 ") == "http://[::1]:8000"


@pytest.mark.django_db
def test_a_host_that_is_no_http_origin_is_refused_before_anything_is_done(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    for host in ("ftp://example.org", "http://", "127.0.0.1:port", "http://h:8000/sub/path"):
        with pytest.raises(CommandError, match="--host must be the address the application"):
            call_command("demo", "--host", host, stdout=io.StringIO())
    assert not Campaign.objects.exists() and not Dataset.objects.exists()
    assert not settings.VAR_DIR.exists()  # no picture drawn


@pytest.mark.django_db
def test_the_summary_counts_labelled_multi_object_and_relabelled_images(catalogue):
    orange, lemon, berry = (catalogue[w] for w in FRUIT)
    campaign = make_campaign("summary")
    other = make_campaign("other")  # its labels are not counted
    images = [make_image(campaign.dataset, orange, f"summary-{i}") for i in range(5)]
    rows = [  # (image, main label, objects): one plain, two with two objects, one relabelled
        (images[0], orange, 1),
        (images[1], orange, 2),
        (images[2], lemon, 2),
        (images[3], berry, 1),
    ]
    for image, main, objects in rows:
        ImageLabels.objects.create(
            campaign=campaign,
            image=image,
            main_label=main,
            num_objects=objects,
            main_object=0,
            answers=9,
        )
    ImageLabels.objects.create(
        campaign=other, image=images[4], main_label=lemon, num_objects=3, main_object=0, answers=9
    )
    summary = labels_summary(campaign)
    assert (summary.images, summary.labelled, summary.multi_object, summary.relabelled) == (
        5,
        4,
        2,
        2,
    )
    assert str(summary) == (
        "4 of 5 images labelled, 2 with more than one object, 2 whose main label differs from "
        "the dataset label"
    )
    links = dict(where_to_look(campaign, "https://example.org"))
    assert links["Dashboard"] == f"https://example.org/dashboard/{campaign.pk}/"
    assert links["Export to a file"].startswith(
        f"python manage.py export_labels --campaign {campaign.pk} "
    )
