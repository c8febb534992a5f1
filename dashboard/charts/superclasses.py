"""Superclass charts (Fig 10): people's confusion from CLASSIFY and from CONTAINS, each
model's confusion, and co-occurrence."""

from __future__ import annotations

from dashboard.analyses import CampaignAnalyses
from dashboard.charts.base import Chart, heatmap

MODEL_CONFUSION = "confusion-model-"
ROWS = "dataset_label"


def people(an: CampaignAnalyses) -> list[Chart]:
    """Fig 10a for people: two matrices, never mixed."""
    return [
        heatmap(
            "confusion-people-main",
            "Superclass confusion: people's main label (CLASSIFY)",
            "Rows: the dataset label's superclass; columns: the superclass of the main label "
            "of each aggregated image (CLASSIFY). Shares of each row.",
            an.confusion_main,
            an.superclasses,
            (ROWS, "main_label"),
            True,
        ),
        heatmap(
            "confusion-people-contains",
            "Superclass confusion: people's most selected label (CONTAINS)",
            "Rows: the dataset label's superclass; columns: the superclass of the label of "
            "highest selection frequency in CONTAINS (lowest class index on ties). Shares of "
            "each row.",
            an.confusion_contains,
            an.superclasses,
            (ROWS, "most_selected_label"),
            True,
        ),
    ]


def cooccurrence(an: CampaignAnalyses) -> Chart:
    """Fig 10b."""
    return heatmap(
        "cooccurrence",
        "Superclass co-occurrence",
        "Rows: the dataset label's superclass; columns: the superclass of each other object "
        "in the image (not the one holding the dataset label; an object's label is its most "
        "selected one), counted once per image. Not symmetric. Images whose dataset label is "
        "in no object are left out.",
        an.cooccurrence,
        an.superclasses,
        (ROWS, "other_object"),
        False,
    )


def models(an: CampaignAnalyses) -> list[Chart]:
    """Fig 10a for each model."""
    return [
        heatmap(
            f"{MODEL_CONFUSION}{an.model_slug(model)}",
            f"Superclass confusion: {model}",
            "Rows: the dataset label's superclass; columns: the superclass of the model's "
            "first prediction. Shares of each row.",
            matrix,
            an.superclasses,
            (ROWS, "model"),
            True,
        )
        for model, matrix in an.confusion_models.items()
    ]
