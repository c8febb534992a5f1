"""potential_labels killed mid-run in its own process, then run again: it resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Count

from models_zoo.registry import TINY
from pipeline.models import ModelPrediction, PotentialLabel, StageRun
from tests.pipeline.stages.test_potential_labels import command, make_campaign
from tests.pipeline.tasks.test_potential_labels import worker_database_url

ROOT = Path(__file__).resolve().parents[3]
# About 30 ms an image here: 100 images leave seconds between the first stored batch and the
# end of the run, so the signal lands mid-run even on a loaded machine.
COUNT = 100

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_killed_command_resumes_without_duplicates(catalogue, media_root, tmp_path, sig):
    campaign = make_campaign(tmp_path / "in", catalogue, count=COUNT)
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "FINELABEL_MEDIA_ROOT": str(media_root),
    }
    env.pop("CELERY_BROKER_URL", None)
    args = ["--campaign", str(campaign.pk), "--random-weights", "--workers", "0"]
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "potential_labels", *args, "--batch-size", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while ModelPrediction.objects.count() < len(TINY):  # the first image stored
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "no predictions stored in time"
        time.sleep(0.02)
    proc.send_signal(sig)
    output = proc.communicate(timeout=60)[0].decode()
    stopped = ModelPrediction.objects.count()
    assert 0 < stopped < COUNT * len(TINY), "the run finished before it was stopped"
    assert not PotentialLabel.objects.exists()
    if sig == signal.SIGINT:
        assert "run the same command again" in output
        assert StageRun.objects.get().status == StageRun.Status.FAILED

    command(*args)
    per_pair = ModelPrediction.objects.values("image_id", "model_name").annotate(n=Count("id"))
    assert len(per_pair) == COUNT * len(TINY)
    assert {row["n"] for row in per_pair} == {1}
    latest = StageRun.objects.order_by("-started_at").first()
    assert latest.total == COUNT - stopped // len(TINY)
    assert PotentialLabel.objects.filter(is_dataset_label=True).count() == COUNT
