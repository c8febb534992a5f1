"""Celery tasks of stage 1 (potential labels), on the ``gpu`` queue.

``dispatch`` records a StageRun and sends one ``predict_chunk`` task per chunk of images
still to do, with ``finish`` as the chord's body: it builds the potential labels once every
chunk is stored. The finishing step is database work only, so it goes to the ``default``
queue. Models stay loaded in the worker process between chunks (``cached_models``).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, chord, shared_task
from celery.result import AsyncResult

from pipeline.models import Campaign, StageRun
from pipeline.stages import potential_labels as stage
from pipeline.stages.runs import fail_run, finish_run, heartbeat, start_run

GPU_QUEUE = "gpu"
DEFAULT_QUEUE = "default"


@shared_task(name="pipeline.tasks.potential_labels.predict_chunk")
def predict_chunk(run_id: int, image_ids: list[int], options: dict[str, Any]) -> dict[str, Any]:
    """Run the ensemble on one chunk and store its predictions (idempotent)."""
    run = StageRun.objects.get(pk=run_id)
    try:
        with heartbeat(run):  # a chunk may take minutes between two batches
            result = stage.predict_chunk(image_ids, stage.RunOptions(**options), run=run)
    except Exception as exc:
        fail_run(run, f"{type(exc).__name__}: {exc}")
        raise
    return {"images": result.images, "stored": result.stored, "failures": result.failures}


@shared_task(name="pipeline.tasks.potential_labels.finish")
def finish(chunks: list[dict[str, Any]], run_id: int, random_weights: bool) -> dict[str, Any]:
    """Build the campaign's potential labels from the stored predictions; close the run."""
    run = StageRun.objects.select_related("campaign").get(pk=run_id)
    total = stage.ChunkResult()
    for chunk in chunks:
        failures = [tuple(f) for f in chunk["failures"]]
        total.add(stage.ChunkResult(chunk["images"], chunk["stored"], failures))
    try:
        summary = stage.finish(run.campaign, run, random_weights, total)
    except Exception as exc:
        fail_run(run, f"{type(exc).__name__}: {exc}")
        raise
    finish_run(run, run.message)
    return {
        "run_id": run.pk,
        "stored": total.stored,
        "potential_labels": summary.potential_labels,
        "mean": summary.histogram.mean,
    }


def dispatch(
    campaign: Campaign, options: stage.RunOptions, app: Celery | None = None
) -> tuple[StageRun, AsyncResult]:
    """Record a run and send its chunks; returns the run and the result of ``finish``.

    The ensemble name is checked here; weights are checked on the worker, where they live.
    ``app`` is the Celery app to send through (the project's by default).
    """
    if app is None:
        from config.celery import app
    names = stage.ensemble_model_names(options.ensemble)
    pending = stage.pending_image_ids(campaign, names, options.random_weights)
    run = start_run(
        campaign, StageRun.Stage.POTENTIAL_LABELS, stage.run_params(campaign, options), len(pending)
    )
    body = app.signature(finish.name, args=(run.pk, options.random_weights), queue=DEFAULT_QUEUE)
    header = [
        app.signature(predict_chunk.name, args=(run.pk, chunk, options.as_json()), queue=GPU_QUEUE)
        for chunk in stage.split(pending, options.chunk_size)
    ]
    result = chord(header, app=app)(body) if header else body.apply_async(args=([],))
    return run, result
