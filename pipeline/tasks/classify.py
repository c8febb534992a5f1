"""Celery tasks of stages 5 and 6 (CLASSIFY and aggregation): thin wrappers over
pipeline.stages; each returns its step's summary as a dict."""

from __future__ import annotations

from celery import shared_task

from pipeline.classify_flow import run_classify_to_labels
from pipeline.models import Campaign
from pipeline.stages.aggregation import aggregate_campaign
from pipeline.stages.classify_qc import run_qc
from pipeline.stages.classify_tasks import create_classify_tasks
from simulation.classify_crowd import simulate_classify_answers


@shared_task(name="pipeline.classify.tasks")
def classify_tasks(campaign_id: int) -> dict:
    return create_classify_tasks(Campaign.objects.get(pk=campaign_id)).as_dict()


@shared_task(name="pipeline.classify.simulate")
def classify_simulate(campaign_id: int, spammers: int = 2, seed: int | None = None) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id)
    return simulate_classify_answers(campaign, spammers=spammers, seed=seed).as_dict()


@shared_task(name="pipeline.classify.qc")
def classify_qc(campaign_id: int) -> dict:
    return run_qc(Campaign.objects.get(pk=campaign_id)).as_dict()


@shared_task(name="pipeline.classify.aggregate")
def classify_aggregate(campaign_id: int) -> dict:
    return aggregate_campaign(Campaign.objects.get(pk=campaign_id)).as_dict()


@shared_task(name="pipeline.classify.all")
def classify_all(campaign_id: int, simulate: bool = False, spammers: int = 2) -> dict:
    campaign = Campaign.objects.get(pk=campaign_id)
    summaries = run_classify_to_labels(campaign, simulate=simulate, spammers=spammers)
    return {step: summary.as_dict() for step, summary in summaries.items()}
