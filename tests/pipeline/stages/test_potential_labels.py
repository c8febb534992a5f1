"""Stage 1 shell on PostgreSQL: the tiny ensemble with random weights on generated images.

Predictions are stored once per (image, model), resumed after an interruption, and turned
into each image's potential labels (union of every model's top-5 plus the dataset label)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from catalogue.models import Dataset, Image, LabelClass
from models_zoo.registry import TINY
from pipeline.models import Campaign, ModelPrediction, PotentialLabel, StageRun
from pipeline.selectors import histogram_from_counts, potential_label_histogram
from pipeline.stages.potential_labels import RunOptions, compute_potential_labels
from tests.models_zoo.conftest import write_images

pytestmark = pytest.mark.django_db
IMAGES = 7


class Stop(Exception):
    """Raised from the progress callback: the run dies like a killed process."""


def make_campaign(folder: Path, catalogue: dict, count: int = IMAGES) -> Campaign:
    """A dataset of generated images (JPEG, RGBA PNG, grayscale) in storage, and a campaign."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset = Dataset.objects.create(name="gen")
    classes = list(LabelClass.objects.order_by("index")[:count])
    for (key, path), label in zip(write_images(folder, count), classes, strict=True):
        data = Path(path).read_bytes()
        stored = default_storage.save(f"orig/{key}{Path(path).suffix}", ContentFile(data))
        Image.objects.create(
            dataset=dataset,
            source=path,
            label=label,
            storage_key=stored,
            thumbnail_key=stored,
            sha256=key,
            width=1,
            height=1,
            file_size=len(data),
        )
    return Campaign.objects.create(name="gen", dataset=dataset, ensemble="tiny")


@pytest.fixture
def campaign(catalogue, media_root, tmp_path) -> Campaign:
    return make_campaign(tmp_path / "in", catalogue)


def options(**kwargs) -> RunOptions:
    return RunOptions(ensemble="tiny", random_weights=True, workers=0, **kwargs)


def stored() -> dict[tuple[int, str], ModelPrediction]:
    return {(p.image_id, p.model_name): p for p in ModelPrediction.objects.all()}


def test_predictions_are_top5_with_probabilities_and_marked_random(campaign):
    summary = compute_potential_labels(campaign, options(chunk_size=3, batch_size=2))
    predictions = stored()
    image_ids = set(campaign.dataset.images.values_list("id", flat=True))
    assert set(predictions) == {(i, m) for i in image_ids for m in TINY}
    for p in predictions.values():
        assert len(p.labels) == 5 == len(set(p.labels))
        assert all(0 <= c < 1000 for c in p.labels)
        assert len(p.probabilities) == 5
        assert p.probabilities == sorted(p.probabilities, reverse=True)
        assert p.probabilities[-1] > 0 and sum(p.probabilities) <= 1.0 + 1e-5
        assert p.random_weights and p.weights == "random"
    run = StageRun.objects.get(pk=summary.run_id)
    assert run.status == StageRun.Status.DONE
    assert (run.done, run.total) == (IMAGES, IMAGES)
    assert run.params["run"]["random_weights"] is True
    assert "random weights" in run.message


def test_a_rerun_adds_nothing_and_replaces_the_potential_labels(campaign):
    compute_potential_labels(campaign, options())
    before = {k: (p.pk, p.labels) for k, p in stored().items()}
    labels_before = set(PotentialLabel.objects.values_list("image_id", "label_id", "model_count"))
    second = compute_potential_labels(campaign, options())
    assert {k: (p.pk, p.labels) for k, p in stored().items()} == before
    assert StageRun.objects.get(pk=second.run_id).total == 0
    after = PotentialLabel.objects.all()
    assert set(after.values_list("image_id", "label_id", "model_count")) == labels_before
    assert set(after.values_list("run_id", flat=True)) == {second.run_id}


def test_a_run_stopped_after_its_first_chunk_resumes_without_duplicates(campaign):
    def stop_after_first_chunk(images: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        compute_potential_labels(
            campaign, options(chunk_size=2, batch_size=2), on_batch=stop_after_first_chunk
        )
    assert ModelPrediction.objects.count() == 2 * len(TINY)  # the first batch was kept
    assert not PotentialLabel.objects.exists()
    failed = StageRun.objects.get()
    assert failed.status == StageRun.Status.FAILED and "Stop" in failed.message

    again = compute_potential_labels(campaign, options(chunk_size=2, batch_size=2))
    assert StageRun.objects.get(pk=again.run_id).total == IMAGES - 2
    per_pair = ModelPrediction.objects.values("image_id", "model_name").annotate(n=Count("id"))
    assert len(per_pair) == IMAGES * len(TINY)
    assert {row["n"] for row in per_pair} == {1}


def test_potential_labels_are_the_union_plus_the_dataset_label(campaign):
    compute_potential_labels(campaign, options())
    image = campaign.dataset.images.first()
    predicted = {c for p in image.predictions.all() for c in p.labels}
    unpredicted = LabelClass.objects.exclude(index__in=predicted).order_by("-index").first()
    image.label = unpredicted
    image.save()

    compute_potential_labels(campaign, options())  # predictions stored: labels rebuilt only
    rows = {pl.label.index: pl for pl in PotentialLabel.objects.filter(image=image)}
    assert set(rows) == predicted | {unpredicted.index}
    assert rows[unpredicted.index].is_dataset_label
    assert rows[unpredicted.index].model_count == 0
    for index, row in rows.items():
        expected = sum(index in p.labels for p in image.predictions.all())
        assert row.model_count == expected
    per_image = PotentialLabel.objects.filter(is_dataset_label=True).values("image_id")
    assert per_image.annotate(n=Count("id")).filter(n=1).count() == IMAGES


def test_potential_labels_follow_the_campaign_top_k(campaign):
    campaign.top_k = 1
    campaign.save()
    compute_potential_labels(campaign, options())
    for image in campaign.dataset.images.all():
        top1 = {p.labels[0] for p in image.predictions.all()}
        got = set(PotentialLabel.objects.filter(image=image).values_list("label__index", flat=True))
        assert got == top1 | {image.label.index}


def test_histogram_of_potential_labels_per_image(campaign):
    compute_potential_labels(campaign, options())
    histogram = potential_label_histogram(campaign)
    per_image = PotentialLabel.objects.values("image_id").annotate(n=Count("id"))
    sizes = sorted(row["n"] for row in per_image)
    assert histogram.images == IMAGES == sum(histogram.counts.values())
    assert histogram.mean == pytest.approx(sum(sizes) / IMAGES)
    assert histogram.median == sizes[IMAGES // 2]
    assert min(sizes) >= 5  # at least one model's top-5
    assert sum(images for _, images in histogram.rows()) == IMAGES


def test_histogram_mean_and_median_from_counts():
    histogram = histogram_from_counts({14: 1, 5: 2, 3: 1})
    assert (histogram.mean, histogram.median, histogram.images) == (6.75, 5.0, 4)
    assert histogram.rows()[:3] == [(3, 1), (4, 0), (5, 2)]
    assert histogram_from_counts({}).images == 0


# --- the command --------------------------------------------------------------------------


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("potential_labels", *args, stdout=out, verbosity=0)
    return out.getvalue()


def test_command_runs_in_process_and_prints_the_histogram(campaign):
    out = command("--campaign", str(campaign.pk), "--random-weights", "--workers", "0")
    assert ModelPrediction.objects.count() == IMAGES * len(TINY)
    assert "Potential labels per image" in out
    histogram = potential_label_histogram(campaign)
    assert f"mean {histogram.mean:.2f}" in out
    assert command("--campaign", str(campaign.pk), "--random-weights", "--workers", "0")
    assert ModelPrediction.objects.count() == IMAGES * len(TINY)


def test_command_unknown_campaign(campaign):
    with pytest.raises(
        CommandError, match=rf"No campaign with id or name '9999'; campaigns: {campaign.pk} "
    ):
        command("--campaign", "9999", "--random-weights")


def test_command_unknown_ensemble_stores_nothing(campaign):
    campaign.ensemble = "nope"
    campaign.save()
    with pytest.raises(CommandError, match=r"Unknown model ensemble 'nope'.*tiny"):
        command("--campaign", str(campaign.pk), "--random-weights")
    assert not StageRun.objects.exists() and not ModelPrediction.objects.exists()


def test_command_missing_weights_names_model_file_and_folder(campaign, settings, tmp_path):
    folder = tmp_path / "weights"
    folder.mkdir()
    settings.FINELABEL_WEIGHTS_DIR = str(folder)
    with pytest.raises(CommandError) as error:
        command("--campaign", str(campaign.pk))
    message = str(error.value)
    assert f"'{TINY[0]}'" in message
    assert str(folder / f"{TINY[0]}.safetensors") in message
    assert f"weights folder {folder}" in message
    assert "--random-weights" in message and "random_weights=True" not in message
    assert "\n" not in message  # one line, not a traceback
    assert not StageRun.objects.exists() and not ModelPrediction.objects.exists()


def test_command_rejects_a_bad_chunk_size(campaign):
    with pytest.raises(CommandError, match="--chunk-size must be at least 1"):
        command("--campaign", str(campaign.pk), "--random-weights", "--chunk-size", "0")


def test_campaign_admin_page_shows_the_histogram(campaign, admin_client):
    url = f"/admin/pipeline/campaign/{campaign.pk}/change/"
    assert "None yet: run manage.py potential_labels" in admin_client.get(url).text
    compute_potential_labels(campaign, options())
    page = admin_client.get(url).text
    histogram = potential_label_histogram(campaign)
    assert "potential labels per image" in page.lower()
    assert f"mean {histogram.mean:.2f}" in page
    labels, images = histogram.rows()[0]
    assert f"<tr><td>{labels}</td><td>{images}</td></tr>" in page


def test_prediction_admin_marks_random_weights(campaign, admin_client):
    compute_potential_labels(campaign, options())
    page = admin_client.get("/admin/pipeline/modelprediction/?random_weights__exact=1").text
    assert f"{IMAGES * len(TINY)} model predictions" in page
    assert ">random<" in page  # the weights column
    page = admin_client.get("/admin/pipeline/modelprediction/?random_weights__exact=0").text
    assert "0 model predictions" in page


def test_demo_runs_the_stage_with_random_weights(catalogue, media_root, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    out = io.StringIO()
    call_command("demo", "--per-class", "1", stdout=out, verbosity=0)
    campaign = Campaign.objects.get(name="demo")
    assert campaign.ensemble == "tiny"
    images = campaign.dataset.images.count()
    assert images > 0
    assert ModelPrediction.objects.filter(random_weights=True).count() == images * len(TINY)
    assert not ModelPrediction.objects.filter(random_weights=False).exists()
    dataset_labels = PotentialLabel.objects.filter(campaign=campaign, is_dataset_label=True)
    assert dataset_labels.count() == images
    assert "Potential labels per image" in out.getvalue()
    # ...and carries the campaign through the crowd stages to final labels.
    from crowd.models import ClassifyAnswer, ContainsAnswer
    from pipeline.models import ImageInclusion, ImageLabels
    from simulation.demo_dataset import second_objects

    assert ContainsAnswer.objects.filter(grid__campaign=campaign).exists()
    included = ImageInclusion.objects.filter(campaign=campaign)
    assert included.count() == images
    labelled = ImageLabels.objects.filter(campaign=campaign)
    follow_up_or_easy = included.filter(category__in=["easy", "follow_up"]).count()
    assert follow_up_or_easy and labelled.count() >= follow_up_or_easy * 0.9
    # The drawn second objects (which random weights cannot see) reach the crowd, so the
    # two-object pictures go through CLASSIFY and come out with two objects.
    drawn = PotentialLabel.objects.filter(campaign=campaign, model_count=0, is_dataset_label=False)
    assert drawn.count() == sum(
        len(second_objects(i.source)) for i in campaign.dataset.images.all()
    )
    assert drawn.count() == 10
    assert ClassifyAnswer.objects.filter(task__campaign=campaign).exists()
    assert labelled.filter(num_objects=2, image__source__contains="_with_").count() >= 5
    # ...and ends by saying what the final labels are and where to see them.
    check_where_to_look(out.getvalue(), campaign, labelled, images, tmp_path)
    check_pages_with_ground_truth(campaign)


def check_pages_with_ground_truth(campaign) -> None:
    """After `import_ground_truth --dataset demo --campaign ID` (a ground-truth set shared by
    every campaign of the dataset), the dashboard, the review home, the export and the scores
    still answer, on the embedded default as on PostgreSQL."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from review.models import GroundTruthSet

    args = ["--dataset", "demo", "--campaign", str(campaign.pk)]
    call_command("import_ground_truth", *args, stdout=io.StringIO(), verbosity=0)
    assert GroundTruthSet.objects.exists()
    staff = Client()
    staff.force_login(get_user_model().objects.get(username="admin"))
    for path in (
        f"/dashboard/{campaign.pk}/",
        f"/dashboard/{campaign.pk}/?scores=1",
        "/review/",
        f"/api/campaigns/{campaign.pk}/export/?format=json",
    ):
        assert staff.get(path).status_code == 200, path
    model = ModelPrediction.objects.filter(image__dataset=campaign.dataset).first().model_name
    scores = io.StringIO()
    truth = f"crowd-{campaign.pk}"
    call_command("score", "--models", model, "--ground-truth", truth, "--no-queue", stdout=scores)
    assert model in scores.getvalue() and "%" in scores.getvalue()


def check_where_to_look(printed: str, campaign, labelled, images: int, tmp_path) -> None:
    """The demo's last lines: a summary of the final labels with the real campaign id, then the
    dashboard, admin, API export and export_labels lines, each of which works."""
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.test import Client
    from rest_framework.authtoken.models import Token

    lines = printed.rstrip().splitlines()
    assert "Admin login: admin / " in printed
    multi = labelled.filter(num_objects__gt=1).count()
    relabelled = labelled.exclude(main_label=F("image__label")).count()
    summary = next(line for line in lines if line.startswith("Final labels of campaign"))
    assert summary == (
        f"Final labels of campaign 'demo' (id {campaign.pk}): {labelled.count()} of {images} "
        f"images labelled, {multi} with more than one object, {relabelled} whose main label "
        "differs from the dataset label."
    )
    tail = lines[lines.index(summary) + 1 :]
    assert tail[0].startswith("See them (log in as admin first")
    where = dict(line.strip().split(": ", 1) for line in tail[1:])
    where = {what: link.strip() for what, link in where.items()}
    base, pk = "http://127.0.0.1:8000", campaign.pk
    export = f"{base}/api/campaigns/{pk}/export/"
    assert where == {
        "Dashboard": f"{base}/dashboard/{pk}/",
        "Admin, final labels": f"{base}/admin/pipeline/imagelabels/?campaign__id__exact={pk}",
        "API export, JSON": f"{export}?format=json",
        "API export, CSV": f"{export}?format=csv",
        "API export, JSONL": f"{export}?format=jsonl",
        "API export, ImageNetMultiLabel": f"{export}?format=imagenet-multilabel",
        "Export to a file": (
            f"python manage.py export_labels --campaign {pk} --format jsonl "
            "--output demo-labels.jsonl"
        ),
    }
    # The links answer: the dashboard and the admin for the demo's admin, logged in...
    admin = get_user_model().objects.get(username="admin")
    staff = Client()
    staff.force_login(admin)
    path = where["Dashboard"].removeprefix(base)
    assert staff.get(path).status_code == 200
    page = staff.get(where["Admin, final labels"].removeprefix(base))
    assert page.status_code == 200 and f"{labelled.count()} image labels" in page.text
    response = staff.get(where["API export, JSON"].removeprefix(base))
    assert response.status_code == 200
    exported = json.loads(b"".join(response.streaming_content))
    assert exported["campaign"]["id"] == pk and len(exported["images"]) == images
    # ...the exports with a token, one record per image (the ImageNetMultiLabel shape: one
    # line per labelled image)...
    token = Token.objects.get_or_create(user=admin)[0].key
    anonymous = Client(HTTP_AUTHORIZATION=f"Token {token}")
    rows = {}
    for what in ("CSV", "JSONL", "ImageNetMultiLabel"):
        response = anonymous.get(where[f"API export, {what}"].removeprefix(base))
        assert response.status_code == 200
        rows[what] = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(list(csv.reader(rows["CSV"]))) == images + 1 and len(rows["JSONL"]) == images
    assert len(rows["ImageNetMultiLabel"]) == labelled.count()
    # ...and the command line writes the same JSONL.
    command_line = where["Export to a file"].split()
    assert command_line[:3] == ["python", "manage.py", "export_labels"]
    target = tmp_path / command_line[-1]
    call_command(*command_line[2:-1], str(target), verbosity=0)
    assert target.read_text().strip().splitlines() == rows["JSONL"]


def test_old_command_name_still_runs_the_stage(campaign):
    args = ["--campaign", str(campaign.pk), "--random-weights", "--workers", "0"]
    call_command("compute_candidates", *args, stdout=io.StringIO(), verbosity=0)
    assert ModelPrediction.objects.count() == IMAGES * len(TINY)


def test_command_without_weights_or_network_fails_fast(campaign, settings, tmp_path, monkeypatch):
    """No weights folder, an empty hub cache and a hub nobody answers: the error comes at
    once (not after the hub client's minute of retries), on one line naming what to do."""
    from huggingface_hub import constants as hf_constants

    from tests.helpers import free_port

    settings.FINELABEL_WEIGHTS_DIR = ""
    monkeypatch.setattr(hf_constants, "ENDPOINT", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    started = time.monotonic()
    with pytest.raises(CommandError) as error:
        command("--campaign", str(campaign.pk), "--workers", "0")
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert "--random-weights" in message and "FINELABEL_WEIGHTS_DIR" in message
    assert "cannot be reached" in message and "\n" not in message
    assert not StageRun.objects.exists() and not ModelPrediction.objects.exists()
