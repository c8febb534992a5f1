"""The review section's added figures: top-1 against multi-label accuracy per predictor
(Shankar et al.'s Fig 4), the WordNet distance of the panel's decided mistakes by category
(Vasudevan et al.), and each predictor's accuracy before and after the review. Computed with
the score table (the same cache life), from the pure rules."""

from __future__ import annotations

import hashlib

import pandas as pd
from django.core.cache import cache
from matplotlib.figure import Figure

from dashboard.analyses import CACHE_SECONDS
from dashboard.charts import Chart, _render_figure, inline_svg
from dashboard.charts.base import GREEN
from pipeline.models import Campaign
from pipeline.rules.mistake_figures import distance_by_category, hierarchy_distance
from review import selectors as review
from review.models import GroundTruthSet, MistakeCategory, ReviewItem, Verdict
from review.review_effect import before_after


def fig4_chart(rows: list[dict]) -> Chart:
    """Top-1 (the dataset label) against multi-label accuracy, one dot per predictor, on all
    classes, with the diagonal: a dot above it gains from the extra correct labels."""
    kept = [r for r in rows if r["slice"] == "all" and r["accuracy"] is not None]
    table = pd.DataFrame(
        {
            "predictor": [r["predictor"] for r in kept],
            "top1_accuracy": [r["top1_accuracy"] for r in kept],
            "multilabel_accuracy": [r["accuracy"] for r in kept],
            "scored": [r["scored"] for r in kept],
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color="#9aa5b8", lw=0.8, ls="--")
        ax.scatter(table["top1_accuracy"], table["multilabel_accuracy"], color=GREEN, zorder=3)
        for _, r in table.iterrows():
            ax.annotate(r["predictor"], (r["top1_accuracy"], r["multilabel_accuracy"]), fontsize=7)
        ax.set_xlabel("top-1 accuracy (dataset label)")
        ax.set_ylabel("multi-label accuracy")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)

    caption = (
        "Shankar et al., Fig 4: per predictor, on the same scored predictions, the share that "
        "is the dataset label against the share marked correct (unclear is not correct)."
    )
    return Chart("top1-vs-multilabel", "Top-1 against multi-label accuracy", caption, table, draw)


def mistake_distances(campaign: Campaign) -> dict:
    """The panel's decided mistakes on the campaign's dataset: WordNet steps up from the
    predicted class and the dataset label to their lowest common ancestor, by category."""
    rows = ReviewItem.objects.filter(
        image__dataset_id=campaign.dataset_id, decision=Verdict.INCORRECT
    ).values_list("category", "label__hypernym_distances", "image__label__hypernym_distances")
    names = dict(MistakeCategory.choices)
    pairs = [
        (names.get(cat, cat or "(no category)"), hierarchy_distance(pred or {}, lab or {}))
        for cat, pred, lab in rows.order_by("id")
    ]
    return distance_by_category(pairs)


def _key(campaign: Campaign, sets: list[GroundTruthSet], version: str) -> str:
    raw = version + "|" + ",".join(str(s.pk) for s in sets)
    digest = hashlib.sha1(raw.encode()).hexdigest()[:16]
    return f"dashboard:{campaign.pk}:review-effect:v1:{digest}"


def review_effect(campaign: Campaign, sets: list[GroundTruthSet], version: str) -> list[dict]:
    """Each predictor's accuracy without and with the panel's set, cached like the scores
    (`version`: dashboard.review.review_version)."""
    key = _key(campaign, sets, version)
    rows = cache.get(key)
    if rows is None:
        rows = before_after(review.predictor_names(), sets, dataset=campaign.dataset)
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def _with_percents(row: dict) -> dict:
    names = ("before", "after", "after_with_unclear")
    return {**row, **{f"{n}_pct": None if row[n] is None else 100 * row[n] for n in names}}


def evaluation_extras(
    campaign: Campaign, scores: dict, sets: list[GroundTruthSet], version: str
) -> dict:
    """What the section adds beside the score table (`scores`: campaign_scores)."""
    extras: dict = {"distances": mistake_distances(campaign), "fig4_svg": "", "effect": []}
    if scores["rows"]:
        chart = fig4_chart(scores["rows"])
        if not chart.empty:
            extras["fig4_svg"] = inline_svg(_render_figure(chart, "svg"))
        extras["effect"] = [_with_percents(r) for r in review_effect(campaign, sets, version)]
    return extras
