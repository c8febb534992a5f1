"""Recording a stage's runs: parameters, code version, progress and outcome (StageRun)."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.utils import timezone

from pipeline.models import Campaign, StageRun
from pipeline.stages.statistics import analyze_stage_output

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def code_version() -> str:
    """The git commit of the running code, or the package marker when not in a checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def start_run(
    campaign: Campaign, stage: str, params: dict | None = None, total: int = 0
) -> StageRun:
    """A new RUNNING StageRun for `stage`, with the campaign's parameters unless given."""
    return StageRun.objects.create(
        campaign=campaign,
        stage=stage,
        params=params if params is not None else campaign.params.as_json(),
        code_version=code_version(),
        total=total,
    )


def report_progress(run: StageRun, done: int, total: int | None = None) -> None:
    """Store progress; a separate UPDATE so it is visible to the admin mid-run."""
    fields = {"done": done}
    if total is not None:
        fields["total"] = total
    StageRun.objects.filter(pk=run.pk).update(**fields)
    for key, value in fields.items():
        setattr(run, key, value)


def finish_run(run: StageRun, message: str = "") -> None:
    analyze_stage_output(run.stage)  # before anyone reads it as done
    run.status = StageRun.Status.DONE
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])


def fail_run(run: StageRun, message: str) -> None:
    StageRun.objects.filter(pk=run.pk).update(
        status=StageRun.Status.FAILED, message=message[:10000], finished_at=timezone.now()
    )
    run.status = StageRun.Status.FAILED
    run.message = message


@contextmanager
def stage_run(
    campaign: Campaign, stage: str, params: dict | None = None, total: int = 0
) -> Iterator[StageRun]:
    """Run a block as one StageRun: DONE when it returns, FAILED (with the error) when it
    raises. The error propagates."""
    run = start_run(campaign, stage, params, total)
    try:
        yield run
    except BaseException as exc:
        fail_run(run, f"{type(exc).__name__}: {exc}")
        raise
    if run.status == StageRun.Status.RUNNING:
        finish_run(run, run.message)
