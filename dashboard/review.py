"""The dashboard's "Expert review and evaluation" section: queue sizes, evaluation slices and
the models' multi-label accuracy on the campaign's dataset. Scores are cached until the review
data change (a new vote, truth label, flag, prediction, pick or slice); on a large dataset
they are computed only when asked for."""

from __future__ import annotations

import hashlib
import math

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q

from dashboard.analyses import CACHE_SECONDS
from dashboard.evaluation_figures import evaluation_extras
from pipeline.models import Campaign, ModelPrediction
from review import evaluation as ev
from review import selectors as review
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    MistakeCategory,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    TruthLabel,
    Verdict,
)
from review.truth import EXPERT_SET

# Above this many images, scoring waits for the "compute scores" link.
INLINE_SCORING_IMAGES = 20_000


def truth_sets_for(campaign: Campaign) -> list[GroundTruthSet]:
    """Imported sets first, then the campaign's crowd set, then the panel's (later sets win)."""
    kinds = GroundTruthSet.Kind
    found = GroundTruthSet.objects.filter(
        Q(kind=kinds.IMPORTED) | Q(kind=kinds.CROWD, campaign=campaign) | Q(name=EXPERT_SET)
    )
    rank = {kinds.IMPORTED: 0, kinds.CROWD: 1}
    return sorted(found, key=lambda s: (rank.get(s.kind, 2), s.name))


def review_version() -> str:
    """Changes whenever anything scoring reads changes: the latest id and row count of each
    table (one query; the tables' names come from the models, never from input)."""
    models = (ReviewVote, TruthLabel, ProblemFlag, ModelPrediction, HumanPick, EvaluationSlice)
    tables = [model._meta.db_table for model in models]
    tables.append(EvaluationSlice.images.through._meta.db_table)
    parts = [f"(SELECT max(id) FROM {t}), (SELECT count(*) FROM {t})" for t in tables]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))  # plain SQL: PostgreSQL and SQLite alike
        return "|".join(str(value) for value in cursor.fetchone())


def _key(campaign: Campaign, version: str, sets: list[GroundTruthSet]) -> str:
    raw = version + "|" + ",".join(str(s.pk) for s in sets)
    digest = hashlib.sha1(raw.encode()).hexdigest()[:16]
    # v4: rows carry the accuracy with unclear labels and top-1; older rows are not read back.
    return f"dashboard:{campaign.pk}:review-scores:v4:{digest}"


def _clean(row: dict) -> dict:
    """NaN (nothing scored) becomes None, so templates and JSON show it as empty."""
    clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
    for name in (
        "accuracy",
        "ci_low",
        "ci_high",
        "accuracy_with_unclear",
        "ci_low_with_unclear",
        "ci_high_with_unclear",
    ):
        value = clean[name]
        clean[f"{name}_pct"] = None if value is None else 100 * value
    return clean


def campaign_scores(campaign: Campaign, compute: bool = False) -> dict:
    """{"rows", "truth_sets", "computed", "deferred"}: the accuracy table of every predictor
    on the campaign's dataset (each row marked `random_weights` where the predictor's
    predictions come from untrained weights), from the cache, or computed now when the
    dataset is small or `compute` is set; else deferred (the page offers a link)."""
    sets = truth_sets_for(campaign)
    result = {"truth_sets": [s.name for s in sets], "rows": [], "deferred": False}
    if not sets:
        return result
    key = _key(campaign, review_version(), sets)
    rows = cache.get(key)
    if rows is None:
        images = campaign.dataset.images.count()
        if not compute and images > INLINE_SCORING_IMAGES:
            result["deferred"] = True
            return result
        report = review.compute_scores(review.predictor_names(), sets, dataset=campaign.dataset)
        rows = [_clean(r) for r in report.rows()]
        cache.set(key, rows, CACHE_SECONDS)
    result["rows"] = rows
    return result


def mistake_tables(campaign: Campaign) -> list[dict]:
    """Vasudevan's Table 2 for the decided mistakes on the campaign's dataset: all of them,
    then each model named as predicting them; rows {category label: {major, minor,
    unrated}}."""
    rows = ReviewItem.objects.filter(
        image__dataset_id=campaign.dataset_id, decision=Verdict.INCORRECT
    ).values_list("models_predicting", "category", "severity")
    labels = dict(MistakeCategory.choices)
    by_model: dict[str, list[tuple[str, str]]] = {"all models": []}
    for models, category, severity in rows.order_by("id"):
        pair = (labels.get(category, category or "(no category)"), severity)
        by_model["all models"].append(pair)
        for model in models or ():
            by_model.setdefault(model, []).append(pair)
    return [
        {"model": model, "total": len(pairs), "rows": ev.mistake_table(pairs)}
        for model, pairs in by_model.items()
        if pairs
    ]


def review_section(campaign: Campaign, user, compute: bool = False) -> dict:
    """Everything the section shows."""
    slices = EvaluationSlice.objects.annotate(image_count=Count("images")).order_by("name")
    scores = campaign_scores(campaign, compute)
    sets = truth_sets_for(campaign)
    return {
        "sizes": review.queue_sizes(user),
        "slices": list(slices),
        "mistakes": mistake_tables(campaign),
        **scores,
        **evaluation_extras(campaign, scores, sets, review_version()),
    }
