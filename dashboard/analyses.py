"""Every analysis of one campaign, computed once from the selectors and the pure core and
cached until the campaign's latest StageRun (or the stored model predictions) change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.utils.text import slugify

from dashboard import figure_data as data
from dashboard import figures as analysis
from dashboard.concurrent_loads import load_all
from pipeline.models import Campaign

CACHE_SECONDS = 24 * 3600
AS_OFTEN_FRACTIONS = (0.5, 0.75, 1.0)  # Fig 7a: shares of the dataset label's frequency
SUBSAMPLE_ANNOTATORS = 5  # Fig 24: frequencies from 5 of the 9 annotators of a grid
SUBSAMPLE_SEED = 0
PAIRS_KEPT = 50  # confusing class pairs kept for the chart and the gallery


@dataclass(frozen=True)
class ConfusingPair:
    """Two classes validated together on `images` images (Figs 7b, 23), with the models'
    top-1 accuracy on those images and an example image."""

    a: str
    b: str
    images: int
    accuracy: dict[str, float]
    mean_accuracy: float
    example: int


@dataclass
class CampaignAnalyses:
    version: str
    potential_counts: dict[int, int]
    candidate_counts: dict[int, int]
    objects_counts: dict[int, int]
    agreement_edges: list[float]
    agreement_counts: list[int]
    agreement_by_objects: dict[int, list[int]]
    multi: analysis.MultiObjectSummary
    superclasses: list[str]
    confusion_main: np.ndarray  # people, CLASSIFY: the main label
    confusion_contains: np.ndarray  # people, CONTAINS: the label of highest frequency
    cooccurrence: np.ndarray
    pairs: list[ConfusingPair]
    pair_threshold: float
    as_often: dict[float, dict[int, int]]
    subsample: analysis.FrequencyComparison
    dataset_label: analysis.LabelAssessment
    models: list[analysis.ModelScores] = field(default_factory=list)
    confusion_models: dict[str, np.ndarray] = field(default_factory=dict)

    def model_slug(self, model: str) -> str:
        return slugify(model) or "model"


def cache_key(campaign: Campaign, version: str, part: str) -> str:
    digest = hashlib.sha1(version.encode()).hexdigest()[:16]
    return f"dashboard:{campaign.pk}:{digest}:{part}"


def campaign_analyses(campaign: Campaign) -> CampaignAnalyses:
    """The analyses for the campaign's current state, from the cache when nothing changed."""
    version = data.analysis_version(campaign)
    key = cache_key(campaign, version, "analyses:v2")
    found = cache.get(key)
    if found is None:
        found = compute(campaign, version)
        cache.set(key, found, CACHE_SECONDS)
    return found


def load_inputs(campaign: Campaign) -> dict:
    """What the analyses read from the database, by name, longest first (see
    concurrent_loads)."""
    return load_all(
        {
            "predictions": lambda: data.model_predictions(campaign),
            "sf": lambda: data.selection_frequencies(campaign),
            "votes": lambda: data.contains_votes(campaign),
            "answer_sizes": lambda: data.classify_answer_sizes(campaign),
            "truths": lambda: data.image_truths(campaign),
            "potential": lambda: data.potential_label_counts(campaign),
            "candidates": lambda: data.candidate_label_counts(campaign),
            "dataset": lambda: dict(data.dataset_labels(campaign)),
            "supers": data.superclass_names,
            "super_of": data.superclass_of,
            "names": data.class_names,
        }
    )


def superclass_figures(inputs: dict) -> dict:
    """Fig 10: the two people's confusion matrices and the co-occurrence matrix."""
    truths, dataset, supers, of = (inputs[k] for k in ("truths", "dataset", "supers", "super_of"))
    contains = analysis.most_selected_labels(inputs["sf"])
    return {
        "superclasses": supers,
        "confusion_main": analysis.confusion_matrix(
            ((t.dataset_label, t.main_label) for t in truths), of, supers
        ),
        "confusion_contains": analysis.confusion_matrix(
            ((dataset[i], lab) for i, lab in contains.items() if i in dataset), of, supers
        ),
        "cooccurrence": analysis.cooccurrence_matrix(truths, of, supers),
    }


def confusing_pairs(inputs: dict, threshold: float) -> list[ConfusingPair]:
    """Figs 7b, 23: the pairs validated together on most images, with the models' accuracy."""
    pairs = analysis.validated_pairs(inputs["sf"], threshold)[:PAIRS_KEPT]
    scored = analysis.pair_accuracy(pairs, inputs["dataset"], inputs["predictions"])
    names = inputs["names"]
    return [
        ConfusingPair(
            names.get(p.a, str(p.a)),
            names.get(p.b, str(p.b)),
            p.images,
            p.accuracy,
            p.mean_accuracy,
            images[0],
        )
        for p, (_, _, images) in zip(scored, pairs, strict=True)
    ]


def count_figures(inputs: dict) -> dict:
    """The histograms (Figs 11, 16) and the multi-object summary."""
    truths = inputs["truths"]
    chosen = {t.image: t.num_objects for t in truths}
    agreement = analysis.number_agreement(inputs["answer_sizes"], chosen)
    edges, counts = analysis.share_histogram(agreement.values())
    return {
        "potential_counts": analysis.count_distribution(inputs["potential"]),
        "candidate_counts": analysis.count_distribution(inputs["candidates"]),
        "objects_counts": analysis.count_distribution(chosen.values()),
        "agreement_edges": edges,
        "agreement_counts": counts,
        "agreement_by_objects": analysis.agreement_by_objects(agreement, chosen),
        "multi": analysis.multi_object_summary(truths),
    }


def frequency_figures(inputs: dict) -> dict:
    """Figs 7a and 24 (selection frequencies), and Fig 8's dataset-label reference. Fig 24
    compares frequencies recomputed from the same kept CONTAINS answers: all of each grid's,
    and SUBSAMPLE_ANNOTATORS of them."""
    votes = inputs["votes"]
    subsample = analysis.subsampled_frequencies(votes, SUBSAMPLE_ANNOTATORS, SUBSAMPLE_SEED)
    everyone = analysis.subsampled_frequencies(votes, annotators=None)
    return {
        "as_often": analysis.labels_as_often_as_dataset_label(
            inputs["sf"], inputs["dataset"], AS_OFTEN_FRACTIONS
        ),
        "subsample": analysis.compare_frequencies(everyone, subsample),
        "dataset_label": analysis.dataset_label_assessment(inputs["truths"], inputs["sf"]),
    }


def compute(campaign: Campaign, version: str) -> CampaignAnalyses:
    inputs = load_inputs(campaign)
    threshold = campaign.params.candidate_sf_threshold
    result = CampaignAnalyses(
        version=version,
        **count_figures(inputs),
        **superclass_figures(inputs),
        **frequency_figures(inputs),
        pairs=confusing_pairs(inputs, threshold),
        pair_threshold=threshold,
    )
    truths, sf, dataset = inputs["truths"], inputs["sf"], inputs["dataset"]
    supers, of = inputs["supers"], inputs["super_of"]
    for model, predictions in inputs["predictions"].items():
        result.models.append(analysis.score_model(model, truths, predictions, sf))
        result.confusion_models[model] = analysis.confusion_matrix(
            ((dataset[i], p[0]) for i, p in predictions.items() if i in dataset and p), of, supers
        )
    return result
