"""Stages 5 and 6 end to end for a campaign: CLASSIFY tasks, answers (simulated when asked),
quality control and aggregation into final labels. What `manage.py demo` and the Celery
task `pipeline.classify.all` call once the campaign's inclusion results exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.models import Campaign
from pipeline.stages.aggregation import aggregate_campaign
from pipeline.stages.classify_qc import run_qc
from pipeline.stages.classify_tasks import create_classify_tasks
from simulation.classify_crowd import simulate_classify_answers
from simulation.http_crowd import crowd_classify

# step name -> a progress callback (done, total) for that step, or None
ProgressFor = Callable[[str], Callable[[int, int], object] | None]


def run_classify_to_labels(
    campaign: Campaign,
    simulate: bool = False,
    spammers: int = 2,
    seed: int | None = None,
    progress_for: ProgressFor | None = None,
    direct: bool = False,
) -> dict[str, Any]:
    """tasks -> (simulated answers) -> QC -> aggregation; the summary of each step by name.

    The simulated crowd answers through the HIT pages and submit endpoints in process
    (simulation.http_crowd), or with `direct` writes straight to the database. Without
    `simulate`, the answers are whatever workers have submitted so far.
    """

    def progress(step: str):
        return progress_for(step) if progress_for else None

    summaries: dict[str, Any] = {"tasks": create_classify_tasks(campaign, progress("tasks"))}
    if simulate:
        simulate_with = simulate_classify_answers if direct else crowd_classify
        summaries["simulate"] = simulate_with(
            campaign, spammers=spammers, seed=seed, progress=progress("simulate")
        )
    summaries["qc"] = run_qc(campaign, progress("qc"))
    summaries["aggregate"] = aggregate_campaign(campaign, progress("aggregate"))
    return summaries
