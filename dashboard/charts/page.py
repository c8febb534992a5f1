"""The campaign page's charts, in page order, and which of them the page draws at once."""

from __future__ import annotations

from dashboard.analyses import CampaignAnalyses
from dashboard.charts import labels, models, superclasses
from dashboard.charts.base import Chart, count_chart, inline_svg, marked_random, render
from pipeline.selectors import RANDOM_WEIGHTS_NOTE, PotentialLabelsSource, potential_labels_source

MODEL_CHARTS = (
    "model-accuracy",
    "main-object-accuracy",
    "top5-corrections",
    "human-assessment",
    "mistake-sf",
)


def potential_caption(source: PotentialLabelsSource | None) -> str:
    """The potential-labels chart's caption: the top-k the labels were built with, and a
    warning when the predictions come from random weights."""
    if source is None:
        return "Union of the models' top-k predictions and the dataset label."
    caption = f"Union of the models' top-{source.top_k} predictions and the dataset label."
    return f"{RANDOM_WEIGHTS_NOTE} {caption}" if source.random_weights else caption


def _counts(an: CampaignAnalyses, potential: PotentialLabelsSource | None) -> list[Chart]:
    charts = [
        count_chart(
            "potential-labels",
            "Potential labels per image",
            potential_caption(potential),
            an.potential_counts,
            "potential labels",
        ),
        count_chart(
            "candidate-labels",
            "Candidate labels per image",
            "Labels shown in CLASSIFY, chosen from the selection frequencies.",
            an.candidate_counts,
            "candidate labels",
        ),
        count_chart(
            "objects-per-image",
            "Objects per image",
            "Distinct objects found by the aggregation of CLASSIFY answers (Fig 16).",
            an.objects_counts,
            "objects",
        ),
    ]
    if potential is not None and potential.random_weights:
        charts[0] = marked_random(charts[0])
    return charts


def build_charts(
    an: CampaignAnalyses, potential: PotentialLabelsSource | None = None
) -> dict[str, Chart]:
    """Every chart of the campaign, in page order; `potential` (what the potential labels
    were built from) names their top-k and marks random weights in that chart's caption."""
    charts = [
        *_counts(an, potential),
        labels.agreement(an),
        labels.agreement_by_objects(an),
        labels.multi(an),
        labels.as_often(an),
        labels.subsample(an),
        *superclasses.people(an),
        superclasses.cooccurrence(an),
        labels.pairs(an),
        models.accuracy(an),
        models.main_object_accuracy(an),
        models.corrections(an),
        models.human_assessment(an),
        models.mistakes(an),
        *superclasses.models(an),
    ]
    return {c.name: c for c in charts}


def page_charts(
    campaign, an: CampaignAnalyses
) -> tuple[dict[str, tuple[Chart, bytes]], list[Chart]]:
    """The campaign page's charts drawn as SVG (through the cache), and the per-model
    confusion matrices, which load as images when opened: one per model would otherwise
    dominate the first render."""
    drawn, lazy = {}, []
    for name, chart in build_charts(an, potential_labels_source(campaign)).items():
        if name.startswith(superclasses.MODEL_CONFUSION):
            lazy.append(chart)
        else:
            drawn[name] = (chart, render(campaign, an, chart, "svg"))
    return drawn, lazy


__all__ = ["MODEL_CHARTS", "build_charts", "inline_svg", "page_charts", "potential_caption"]
