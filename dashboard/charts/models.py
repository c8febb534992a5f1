"""Charts of the models scored on the campaign's labels: accuracy on single- and multi-object
images, on images whose main object is not the dataset label's (Fig 5), top-5 corrections
(Fig 21), human assessment (Fig 8) and the frequencies of the mistakes (Fig 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dashboard.analyses import CampaignAnalyses
from dashboard.charts.base import (
    BLUE,
    COLOURS,
    GREEN,
    ORANGE,
    WIDE_LABELS,
    Chart,
    error_bars,
    model_rows,
    no_rows,
)

INTERVAL_COLUMNS = ["model", "subset", "metric", "value", "low", "high", "n"]
DATASET_LABEL = "dataset label"


def _interval_table(an: CampaignAnalyses, cells: list[tuple[str, str]]) -> pd.DataFrame:
    records = [
        {
            "model": s.model,
            "subset": subset,
            "metric": metric,
            **s.accuracy[subset][metric].as_dict(),
        }
        for s in an.models
        for subset, metric in cells
    ]
    table = pd.DataFrame(records, columns=INTERVAL_COLUMNS)
    return table[table["n"] > 0]


def _grouped_bars(ax, an: CampaignAnalyses, cells: list[tuple[str, str, str]]) -> None:
    """One group per model, one bar per (subset, metric, colour) cell, with intervals."""
    x = np.arange(len(an.models))
    width = 0.8 / len(cells)
    for k, (subset, metric, colour) in enumerate(cells):
        ivs = [s.accuracy[subset][metric] for s in an.models]
        offset = (k - (len(cells) - 1) / 2) * width
        label = f"{metric} ({subset.replace('_', ' ')})"
        ax.bar(
            x + offset,
            [iv.value for iv in ivs],
            width,
            yerr=error_bars(ivs),
            capsize=2,
            color=colour,
            label=label,
        )
    ax.set_xticks(x, [s.model[:22] for s in an.models], rotation=30, ha="right")
    ax.set_ylim(0, 1)


def accuracy(an: CampaignAnalyses) -> Chart:
    metrics = ("top1", "top5", "multilabel")
    table = _interval_table(an, [(s, m) for s in ("single", "multi") for m in metrics])

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 2, sharey=True)
        for ax, subset in zip(axes, ("single", "multi"), strict=True):
            _grouped_bars(ax, an, [(subset, m, COLOURS[m]) for m in metrics])
            ax.set_title(f"{subset}-object images")
        axes[0].set_ylabel("accuracy (95% bootstrap CI)")
        axes[1].legend(frameon=False, fontsize=7)

    return Chart(
        "model-accuracy",
        "Model accuracy on single- and multi-object images",
        "Top-1 and top-5: the dataset label is the first, or among the five, predictions. "
        "Multi-label: the first prediction is the label of an object of the image (an "
        "object's label is its most selected label).",
        table,
        draw,
        (7.2, 3.8),
        {"bottom": 0.3, "top": 0.92},
    )


def main_object_accuracy(an: CampaignAnalyses) -> Chart:
    """Fig 5."""
    cells = [
        ("all", "top1", BLUE),
        ("main_object_differs", "top1", ORANGE),
        ("main_object_differs", "main", GREEN),
    ]
    table = _interval_table(an, [(s, m) for s, m, _ in cells])
    table = no_rows(table, bool(an.multi.main_object_differs))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        _grouped_bars(ax, an, cells)
        ax.set_ylabel("share of images (95% bootstrap CI)")
        ax.legend(frameon=False, fontsize=7)

    return Chart(
        "main-object-accuracy",
        "Models on images whose main object is not the dataset label's",
        f"On the {an.multi.main_object_differs} images whose main object (CLASSIFY) is not the "
        "object holding the dataset label (Fig 5): how often the first prediction is the "
        "dataset label (top-1) and how often it is the main label; top-1 on all images for "
        "comparison.",
        table,
        draw,
        (7.2, 3.8),
        {"bottom": 0.3, "top": 0.92},
    )


def corrections(an: CampaignAnalyses) -> Chart:
    """Fig 21."""
    table = pd.DataFrame(
        {
            "model": [s.model for s in an.models],
            "top5_corrections": [s.top5_corrections for s in an.models],
            "other_object": [s.top5_corrections_other_object for s in an.models],
            "share": [s.other_object_share for s in an.models],
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(table))
        ax.barh(y, table["share"].fillna(0).to_numpy(), color=GREEN)
        ax.set_yticks(y, [m[:28] for m in table["model"]])
        pairs = zip(table["top5_corrections"], table["other_object"], strict=True)
        for row, (n, k) in enumerate(pairs):
            colour = "white" if k else "black"
            ax.text(0.01, row, f"{k} of {n}", va="center", fontsize=8, color=colour)
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of top-5 corrections whose top-1 is another object in the image")

    return Chart(
        "top5-corrections",
        "Top-5 corrections that are really another object",
        "Images where the first prediction is not the dataset label but the dataset label is "
        "in the top five (Fig 21); the share in which the first prediction and the dataset "
        "label are labels of different objects (a synonym in the same object does not count).",
        table,
        draw,
        model_rows(len(an.models)),
        {**WIDE_LABELS, "bottom": 0.3},
    )


def _assessment_rows(name: str, mean_sf, main_rate, unmeasured: int, top1: float) -> list:
    extra = {"unmeasured": unmeasured, "top1_accuracy": top1}
    return [
        {"model": name, "measure": "mean_selection_frequency", **mean_sf.as_dict(), **extra},
        {"model": name, "measure": "is_main_label", **main_rate.as_dict(), **extra},
    ]


def _assessment_table(an: CampaignAnalyses) -> pd.DataFrame:
    """Both measures per model and for the dataset label (whose top-1 accuracy is 1 by
    definition); `unmeasured`: images whose label has no measured frequency."""
    records = []
    for s in an.models:
        top1 = s.accuracy["all"]["top1"].value
        records += _assessment_rows(s.model, s.mean_sf, s.main_label_rate, s.sf_unmeasured, top1)
    ref = an.dataset_label
    records += _assessment_rows(
        DATASET_LABEL, ref.mean_sf, ref.main_label_rate, ref.sf_unmeasured, 1.0
    )
    columns = ["model", "measure", "value", "low", "high", "n", "unmeasured", "top1_accuracy"]
    table = pd.DataFrame(records, columns=columns)
    return table[table["n"] > 0] if an.models else table.iloc[0:0]


def human_assessment(an: CampaignAnalyses) -> Chart:
    """Fig 8."""
    ref = an.dataset_label

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 2, sharex=True)
        x = np.array([s.accuracy["all"]["top1"].value for s in an.models])
        for ax, attr, label in (
            (axes[0], "mean_sf", "mean selection frequency"),
            (axes[1], "main_label_rate", "share that is the main label"),
        ):
            ivs = [getattr(s, attr) for s in an.models]
            ax.errorbar(
                x,
                [iv.value for iv in ivs],
                yerr=error_bars(ivs),
                fmt="o",
                capsize=3,
                color=BLUE,
                label="models' top-1",
            )
            mine = getattr(ref, attr)
            ax.axhline(mine.value, color=ORANGE, label=DATASET_LABEL)
            ax.axhspan(mine.low, mine.high, color=ORANGE, alpha=0.2)
            ax.set_ylim(0, 1)
            ax.set_xlabel("top-1 accuracy")
            ax.set_ylabel(label)
        axes[0].legend(frameon=False, fontsize=7)

    unmeasured = ", ".join(f"{s.model} {s.sf_unmeasured}" for s in an.models if s.sf_unmeasured)
    return Chart(
        "human-assessment",
        "Human assessment of each model",
        "Mean selection frequency of each model's first prediction and how often it is the "
        "main label, with 95% bootstrap intervals, against its top-1 accuracy; the line and "
        "band: the same two figures for the dataset label (Fig 8). Images whose prediction "
        f"has no measured frequency are not averaged: {unmeasured or 'none'}.",
        _assessment_table(an),
        draw,
        (7.2, 3.4),
        {"wspace": 0.3, "bottom": 0.16},
    )


def mistakes(an: CampaignAnalyses) -> Chart:
    """Fig 9."""
    edges = np.linspace(0, 1, 11)
    records = []
    for s in an.models:
        counts, _ = np.histogram(s.mistake_sfs, bins=edges)
        for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True):
            records.append({"model": s.model, "sf_low": lo, "sf_high": hi, "mistakes": int(n)})
    table = pd.DataFrame(records, columns=["model", "sf_low", "sf_high", "mistakes"])
    if not table["mistakes"].sum():
        table = table.iloc[0:0]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for s in an.models:
            if s.mistake_sfs:
                weights = np.full(len(s.mistake_sfs), 1 / len(s.mistake_sfs))
                ax.hist(
                    s.mistake_sfs,
                    bins=edges,
                    weights=weights,
                    histtype="step",
                    linewidth=1.5,
                    label=s.model[:28],
                )
        ax.set_xlabel("selection frequency of the (wrong) top-1 prediction")
        ax.set_ylabel("share of the model's mistakes")
        ax.legend(frameon=False, fontsize=7)

    return Chart(
        "mistake-sf",
        "Selection frequencies of model mistakes",
        "For the images where a model's first prediction is not the dataset label, how often "
        "people saw that predicted label in the image (Fig 9). Mistakes at high frequency are "
        "often not mistakes at all.",
        table,
        draw,
    )
