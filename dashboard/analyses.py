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


@dataclass
class CampaignAnalyses:
    version: str
    potential_counts: dict[int, int]
    candidate_counts: dict[int, int]
    objects_counts: dict[int, int]
    agreement_edges: list[float]
    agreement_counts: list[int]
    multi: analysis.MultiObjectSummary
    superclasses: list[str]
    confusion_humans: np.ndarray
    cooccurrence: np.ndarray
    pairs: list[tuple[str, str, int]]
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
    key = cache_key(campaign, version, "analyses")
    found = cache.get(key)
    if found is None:
        found = compute(campaign, version)
        cache.set(key, found, CACHE_SECONDS)
    return found


def human_labels(
    truths: list[analysis.ImageTruth], sf: dict[tuple[int, int], float]
) -> dict[int, int]:
    """image -> the label people gave it: the main label where aggregated, else the label with
    the highest selection frequency (lowest class index on ties)."""
    best: dict[int, tuple[float, int]] = {}
    for (image, label), freq in sf.items():
        current = best.get(image)
        if current is None or (freq, -label) > (current[0], -current[1]):
            best[image] = (freq, label)
    out = {image: label for image, (_, label) in best.items()}
    out.update({t.image: t.main_label for t in truths})
    return out


def load_inputs(campaign: Campaign) -> dict:
    """What the analyses read from the database, by name, longest first (see
    concurrent_loads)."""
    return load_all(
        {
            "predictions": lambda: data.model_predictions(campaign),
            "sf": lambda: data.selection_frequencies(campaign),
            "answer_sizes": lambda: data.classify_answer_sizes(campaign),
            "truths": lambda: data.image_truths(campaign),
            "potential": lambda: data.potential_label_counts(campaign),
            "candidates": lambda: data.candidate_label_counts(campaign),
            "groups": lambda: data.object_label_groups(campaign),
            "dataset": lambda: dict(data.dataset_labels(campaign)),
            "supers": data.superclass_names,
            "super_of": data.superclass_of,
            "names": data.class_names,
        }
    )


def compute(campaign: Campaign, version: str) -> CampaignAnalyses:
    inputs = load_inputs(campaign)
    truths, sf, dataset = inputs["truths"], inputs["sf"], inputs["dataset"]
    supers, super_of, names = inputs["supers"], inputs["super_of"], inputs["names"]
    agreement = analysis.number_agreement(
        inputs["answer_sizes"], {t.image: t.num_objects for t in truths}
    )
    edges, counts = analysis.share_histogram(agreement.values())
    humans = human_labels(truths, sf)
    result = CampaignAnalyses(
        version=version,
        potential_counts=analysis.count_distribution(inputs["potential"]),
        candidate_counts=analysis.count_distribution(inputs["candidates"]),
        objects_counts=analysis.count_distribution(t.num_objects for t in truths),
        agreement_edges=edges,
        agreement_counts=counts,
        multi=analysis.multi_object_summary(truths),
        superclasses=supers,
        confusion_humans=analysis.confusion_matrix(
            ((dataset[i], lab) for i, lab in humans.items() if i in dataset), super_of, supers
        ),
        cooccurrence=analysis.cooccurrence_matrix(
            (t.object_labels for t in truths), super_of, supers
        ),
        pairs=[
            (names.get(a, str(a)), names.get(b, str(b)), n)
            for a, b, n in analysis.confusing_pairs(inputs["groups"])
        ],
    )
    for model, predictions in inputs["predictions"].items():
        result.models.append(analysis.score_model(model, truths, predictions, sf))
        result.confusion_models[model] = analysis.confusion_matrix(
            ((dataset[i], p[0]) for i, p in predictions.items() if i in dataset and p),
            super_of,
            supers,
        )
    return result
