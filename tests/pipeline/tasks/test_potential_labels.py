"""Stage 1 through Redis and a real Celery worker process stores what the in-process run does."""

from __future__ import annotations

import pytest
from celery import Celery
from django.db import connection

from models_zoo.registry import TINY
from pipeline.models import ModelPrediction, PotentialLabel, StageRun
from pipeline.stages.potential_labels import RunOptions, compute_potential_labels
from pipeline.tasks.potential_labels import dispatch
from tests.celery_worker import REDIS_URL, celery_worker
from tests.pipeline.stages.test_potential_labels import IMAGES, make_campaign

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),  # the worker must see committed rows
    pytest.mark.skipif(not REDIS_URL, reason="FINELABEL_TEST_REDIS_URL not set"),
]


def worker_database_url() -> str:
    """The test database, for a process the test starts (a file on SQLite)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def gpu_worker(media_root):
    env = {"DATABASE_URL": worker_database_url(), "FINELABEL_MEDIA_ROOT": str(media_root)}
    with celery_worker("gpu,default", "pytest-gpu", env) as proc:
        yield proc


def snapshot() -> tuple[dict, set]:
    predictions = {
        (p.image_id, p.model_name): (p.labels, p.probabilities, p.random_weights, p.weights)
        for p in ModelPrediction.objects.all()
    }
    labels = set(
        PotentialLabel.objects.values_list(
            "image_id", "label_id", "is_dataset_label", "model_count"
        )
    )
    return predictions, labels


def test_celery_path_stores_what_the_in_process_path_stores(
    catalogue, media_root, tmp_path, gpu_worker
):
    campaign = make_campaign(tmp_path / "in", catalogue)
    options = RunOptions(
        ensemble="tiny", random_weights=True, chunk_size=3, batch_size=2, workers=0
    )
    client = Celery(broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    run, result = dispatch(campaign, options, app=client)
    outcome = result.get(timeout=240)
    assert gpu_worker.poll() is None, gpu_worker.stdout.read().decode()[-3000:]
    run.refresh_from_db()
    assert run.status == StageRun.Status.DONE, run.message
    assert (run.done, run.total) == (IMAGES, IMAGES)
    assert outcome["stored"] == IMAGES * len(TINY)
    through_celery = snapshot()
    assert len(through_celery[0]) == IMAGES * len(TINY)

    ModelPrediction.objects.all().delete()
    PotentialLabel.objects.all().delete()
    compute_potential_labels(campaign, options)
    in_process = snapshot()
    assert in_process[0].keys() == through_celery[0].keys()
    for key, (labels, probabilities, random_weights, weights) in in_process[0].items():
        other = through_celery[0][key]
        assert (labels, random_weights, weights) == (other[0], other[2], other[3])
        assert probabilities == pytest.approx(other[1], abs=1e-5)
    assert in_process[1] == through_celery[1]
