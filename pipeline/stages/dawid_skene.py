"""Dawid-Skene probabilities of a campaign (core: pipeline.rules.contains_votes): per tested
(image, label) the probability that the label is in the image, per worker an estimated
sensitivity, specificity and accuracy. Beyond the paper: it runs after the selection
frequencies and changes none of the paper's outputs; candidates still use the frequencies.

Every confirmed CONTAINS answer counts, whatever quality control said of it: the model weighs
each worker by their estimated confusion instead of keeping or dropping them (the dashboard
shows both verdicts side by side). Controls are items known present; expert truths of the
review panel (the `expert` ground-truth set: correct 1, wrong 0; unclear not used) clamp their
pairs. With the campaign's `dawid_skene_with_model`, a second fit adds the ensemble as one more
voter (PotentialLabel.model_count, the largest count on the campaign standing for the whole
ensemble) into `with_model`; `probability` stays the crowd's alone.

The loaders read ids only (three values_list queries); the previous run's rows are replaced in
one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Max

from core.errors import MissingInput
from crowd.models import ContainsAnswer, ContainsSelection, GridItem, Verification
from pipeline.models import Campaign, LabelProbability, PotentialLabel, StageRun, WorkerQuality
from pipeline.rules import contains_votes as core
from pipeline.stages.bulk import insert_rows
from pipeline.stages.runs import report_progress, stage_run
from review.models import TruthLabel
from review.truth import EXPERT_SET

CHUNK = 50_000


@dataclass
class DawidSkeneResult:
    run_id: int
    pairs: int
    workers: int
    prior: float
    iterations: int
    converged: bool
    with_model: bool

    def __str__(self) -> str:
        return (
            f"{self.pairs} pairs, {self.workers} workers, prior {self.prior:.3f}, "
            f"{self.iterations} iterations" + (" (with the ensemble)" if self.with_model else "")
        )


def _columns(rows, width: int) -> list[np.ndarray]:
    array = np.array(list(rows), dtype=np.int64).reshape(-1, width)
    return list(array.T)


def load_votes(campaign: Campaign) -> core.GridVotes:
    """The campaign's grid items, confirmed answers and their selections, as id arrays."""
    confirmed = Verification.CONFIRMED
    items = GridItem.objects.filter(grid__campaign=campaign).values_list(
        "pk", "grid_id", "image_id", "grid__query_id", "is_control"
    )
    answers = ContainsAnswer.objects.filter(
        grid__campaign=campaign, verification=confirmed
    ).values_list("pk", "grid_id", "worker_id")
    selections = ContainsSelection.objects.filter(
        answer__grid__campaign=campaign, answer__verification=confirmed
    ).values_list("answer_id", "item_id")
    return core.GridVotes(
        *_columns(items.order_by().iterator(chunk_size=CHUNK), 5),
        *_columns(answers.order_by().iterator(chunk_size=CHUNK), 3),
        *_columns(selections.order_by().iterator(chunk_size=CHUNK), 2),
    )


def expert_truths(campaign: Campaign) -> core.PairTruths:
    """The review panel's judged labels on the campaign's dataset: correct 1, wrong 0."""
    statuses = {TruthLabel.Status.CORRECT: 1.0, TruthLabel.Status.WRONG: 0.0}
    rows = TruthLabel.objects.filter(
        truth_set__name=EXPERT_SET, image__dataset=campaign.dataset, status__in=list(statuses)
    ).values_list("image_id", "label_id", "status")
    rows = list(rows)
    return core.PairTruths(
        [r[0] for r in rows], [r[1] for r in rows], [statuses[r[2]] for r in rows]
    )


def ensemble_votes(campaign: Campaign) -> core.PairTruths:
    """The ensemble's answer (core.model_bins) on every potential label of the campaign."""
    labels = PotentialLabel.objects.filter(campaign=campaign)
    n_models = labels.aggregate(n=Max("model_count"))["n"] or 0
    images, label_ids, counts = _columns(
        labels.values_list("image_id", "label_id", "model_count").order_by(), 3
    )
    return core.PairTruths(images, label_ids, core.model_bins(counts, n_models))


def fit_campaign(campaign: Campaign, with_model: bool = False) -> core.Estimate:
    """The model on the campaign's answers as stored now (nothing is written)."""
    votes = load_votes(campaign)
    if not len(votes.answer_ids):
        raise MissingInput(f"campaign {campaign.name!r} has no confirmed CONTAINS answers")
    model = ensemble_votes(campaign) if with_model else None
    return core.estimate(votes, expert=expert_truths(campaign), model=model)


def worker_accuracy(campaign: Campaign) -> dict[int, float]:
    """Each worker's estimated accuracy (quality control's optional rule)."""
    return fit_campaign(campaign).worker_accuracy()


def compute_probabilities(campaign: Campaign) -> DawidSkeneResult:
    """Fit and store (module docstring)."""
    with_model = campaign.params.dawid_skene_with_model
    est = fit_campaign(campaign, with_model)
    n_pairs = len(est.pair_images)
    with stage_run(campaign, StageRun.Stage.DAWID_SKENE, total=n_pairs) as run:
        model_column = est.with_model.tolist() if est.with_model is not None else [None] * n_pairs
        pairs = zip(
            est.pair_images.tolist(),
            est.pair_labels.tolist(),
            est.probabilities.tolist(),
            model_column,
            est.votes.tolist(),
            est.selected.tolist(),
            strict=True,
        )
        workers = zip(
            est.workers.tolist(),
            est.sensitivity.tolist(),
            est.specificity.tolist(),
            est.accuracy.tolist(),
            est.worker_votes.tolist(),
            est.control_votes.tolist(),
            strict=True,
        )
        with transaction.atomic():
            LabelProbability.objects.filter(campaign=campaign).delete()
            WorkerQuality.objects.filter(campaign=campaign).delete()
            insert_rows(
                LabelProbability,
                ["campaign_id", "image_id", "label_id", "probability", "with_model", "votes"]
                + ["selected", "run_id"],
                ((campaign.pk, *row, run.pk) for row in pairs),
            )
            insert_rows(
                WorkerQuality,
                ["campaign_id", "worker_id", "sensitivity", "specificity", "accuracy", "votes"]
                + ["control_votes", "run_id"],
                ((campaign.pk, *row, run.pk) for row in workers),
            )
        report_progress(run, n_pairs)
        run.message = (
            f"{n_pairs} image-label pairs, {len(est.workers)} workers; prior {est.prior:.3f}, "
            f"{est.iterations} EM steps{'' if est.converged else ' (not converged)'}"
            + ("; with the ensemble as one more voter" if with_model else "")
            + "."
        )
    return DawidSkeneResult(
        run.pk, n_pairs, len(est.workers), est.prior, est.iterations, est.converged, with_model
    )
