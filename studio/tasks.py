"""The Celery task behind `start` (studio.lifecycle): the model ensemble, the grids, and the
CONTAINS HITs for an MTurk crowd. On the gpu queue, where stage 1 runs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from pipeline import flow
from pipeline.models import Campaign, PotentialLabel
from pipeline.stages import potential_labels as stage1
from studio import publishing


@shared_task(name="studio.start_campaign")
def start_campaign(campaign_id: int, random_weights: bool = False) -> list[str]:
    """Each step that is not done yet; one line per step done."""
    campaign = Campaign.objects.get(pk=campaign_id)
    lines: list[str] = []
    if not PotentialLabel.objects.filter(campaign=campaign).exists():
        # In a web or test process (no broker) images are decoded here, without child processes.
        workers = 0 if settings.CELERY_TASK_ALWAYS_EAGER else None
        options = stage1.RunOptions.for_campaign(
            campaign, random_weights=random_weights, workers=workers
        )
        summary = stage1.compute_potential_labels(campaign, options)
        lines.append(
            f"Potential labels: {summary.potential_labels} for {summary.images_with_labels} images."
        )
    flow.ensure_grids(campaign, lines.append)
    lines.extend(publishing.publish_contains(campaign))
    return lines
