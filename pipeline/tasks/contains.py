"""Celery tasks of the CONTAINS stage: thin wrappers over pipeline.stages (one per step)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from pipeline.models import Campaign
from pipeline.stages import candidates, contains_qc, grids, selection_frequencies


def _campaign(campaign_id: int) -> Campaign:
    return Campaign.objects.get(pk=campaign_id)


@shared_task(name="pipeline.contains.build_grids")
def build_grids(campaign_id: int) -> dict:
    result = grids.build_grids(_campaign(campaign_id))
    return {
        "run_id": result.run_id,
        "grids": result.grids,
        "pairs": result.pairs,
        "warnings": result.warnings,
    }


@shared_task(name="pipeline.contains.qc")
def contains_qc_task(campaign_id: int) -> dict:
    return asdict(contains_qc.run_qc(_campaign(campaign_id)))


@shared_task(name="pipeline.contains.selection_frequencies")
def selection_frequencies_task(campaign_id: int, include_controls: bool = False) -> dict:
    campaign = _campaign(campaign_id)
    return asdict(selection_frequencies.compute_frequencies(campaign, include_controls))


@shared_task(name="pipeline.contains.candidates")
def candidates_task(campaign_id: int) -> dict:
    return asdict(candidates.compute_candidates(_campaign(campaign_id)))


@shared_task(name="pipeline.contains.inclusion")
def inclusion_task(campaign_id: int) -> dict:
    return asdict(candidates.compute_inclusion(_campaign(campaign_id)))


@shared_task(name="pipeline.contains.after_answers")
def after_answers(campaign_id: int, include_controls: bool = False) -> dict:
    """Quality control, selection frequencies, candidates and inclusion, in order."""
    return {
        "qc": contains_qc_task(campaign_id),
        "frequencies": selection_frequencies_task(campaign_id, include_controls),
        "candidates": candidates_task(campaign_id),
        "inclusion": inclusion_task(campaign_id),
    }
