"""Charts of what the annotators found: agreement on the number of objects (Fig 16),
multi-object images and main-label disagreements (with Fig 5), labels as often selected as
the dataset label (Fig 7a), frequencies from fewer annotators (Fig 24) and class pairs
validated together (Figs 7b, 23)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dashboard.analyses import SUBSAMPLE_ANNOTATORS, CampaignAnalyses
from dashboard.charts.base import BLUE, ORANGE, WIDE_LABELS, Chart, no_rows


def agreement(an: CampaignAnalyses) -> Chart:
    edges = an.agreement_edges
    table = pd.DataFrame(
        {"share_low": edges[:-1], "share_high": edges[1:], "images": an.agreement_counts}
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        width = np.diff(edges)
        ax.bar(edges[:-1], an.agreement_counts, width=width, align="edge", color=BLUE)
        ax.set_xlabel("share of an image's answers with the chosen number of objects")
        ax.set_ylabel("images")

    return Chart(
        "object-agreement",
        "Workers' agreement on the number of objects",
        "For each aggregated image, the share of its CLASSIFY answers that selected as many "
        "labels as the number of objects the aggregation chose.",
        no_rows(table, bool(sum(an.agreement_counts))),
        draw,
    )


def agreement_by_objects(an: CampaignAnalyses) -> Chart:
    """Fig 16, split by the number of objects the aggregation chose."""
    edges = an.agreement_edges
    records = [
        {"objects": k, "share_low": lo, "share_high": hi, "images": n}
        for k, counts in an.agreement_by_objects.items()
        for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    table = pd.DataFrame(records, columns=["objects", "share_low", "share_high", "images"])

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for k, counts in an.agreement_by_objects.items():
            shares = np.asarray(counts) / max(sum(counts), 1)
            ax.stairs(shares, edges, linewidth=1.5, label=f"{k} object{'s' * (k > 1)}")
        ax.set_xlabel("share of an image's answers with the chosen number of objects")
        ax.set_ylabel("share of the images")
        ax.legend(frameon=False, fontsize=8)

    return Chart(
        "object-agreement-by-objects",
        "Agreement on the number of objects, by number of objects",
        "The agreement histogram drawn apart for the images of each number of objects "
        "(Fig 16): each line sums to 1.",
        table,
        draw,
    )


def multi(an: CampaignAnalyses) -> Chart:
    m = an.multi
    table = pd.DataFrame(
        {
            "images": ["single object", "multi-object"],
            "count": [m.images - m.multi_object, m.multi_object],
            "main_label_differs": [
                m.main_differs - m.multi_object_main_differs,
                m.multi_object_main_differs,
            ],
            "main_object_differs": [0, m.main_object_differs],
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        kinds = table["images"]
        same = table["count"] - table["main_label_differs"]
        ax.barh(kinds, same, color=BLUE, label="main label = dataset label")
        ax.barh(
            kinds, table["main_label_differs"], left=same, color=ORANGE, label="main label differs"
        )
        ax.set_xlabel("images")
        ax.legend(frameon=False, loc="lower right")

    share = f"{100 * m.multi_object_share:.1f}%" if m.images else "-"
    return Chart(
        "multi-object",
        "Multi-object images and main-label disagreements",
        f"{m.multi_object} of {m.images} aggregated images ({share}) hold more than one object. "
        f"The main label is not the dataset label in {m.main_differs} images (a synonym in "
        f"the same object counts); the main object is not the object holding the dataset "
        f"label in {m.main_object_differs}; the dataset label is in no object in "
        f"{m.dataset_label_in_no_object}.",
        no_rows(table, bool(m.images)),
        draw,
        (6.4, 2.4),
        {"left": 0.2, "bottom": 0.22},
    )


def as_often(an: CampaignAnalyses) -> Chart:
    """Fig 7a."""
    records = [
        {"fraction": f, "labels": k, "images": n}
        for f, counts in an.as_often.items()
        for k, n in counts.items()
    ]
    table = pd.DataFrame(records, columns=["fraction", "labels", "images"])
    fractions = list(an.as_often)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        width = 0.8 / max(len(fractions), 1)
        for j, f in enumerate(fractions):
            counts = an.as_often[f]
            x = np.array(list(counts), dtype=float) + (j - (len(fractions) - 1) / 2) * width
            ax.bar(x, list(counts.values()), width, label=f"at least {f:g} x")
        ax.set_xticks(sorted({k for counts in an.as_often.values() for k in counts}))
        ax.set_xlabel("labels (other than the dataset label)")
        ax.set_ylabel("images")
        ax.legend(frameon=False, fontsize=8, title="dataset label's frequency", title_fontsize=8)

    return Chart(
        "as-often-as-dataset-label",
        "Labels selected about as often as the dataset label",
        "For each image, the labels whose selection frequency in CONTAINS is at least the "
        "given fraction of the dataset label's (Fig 7a). Images whose dataset label nobody "
        "selected are left out.",
        table,
        draw,
    )


def subsample(an: CampaignAnalyses) -> Chart:
    """Fig 24."""
    s = an.subsample
    table = pd.DataFrame(
        {
            "sf_low": s.edges[:-1],
            "sf_high": s.edges[1:],
            "pairs_all_annotators": s.full_counts,
            f"pairs_{SUBSAMPLE_ANNOTATORS}_annotators": s.subsample_counts,
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for counts, label, colour in (
            (s.full_counts, "all annotators", BLUE),
            (s.subsample_counts, f"{SUBSAMPLE_ANNOTATORS} annotators", ORANGE),
        ):
            ax.stairs(counts, s.edges, label=label, color=colour, linewidth=1.5)
        ax.set_xlabel("selection frequency")
        ax.set_ylabel("(image, label) pairs")
        ax.legend(frameon=False, fontsize=8)

    return Chart(
        "frequencies-subsampled",
        f"Selection frequencies from {SUBSAMPLE_ANNOTATORS} annotators",
        f"Frequencies recomputed from {SUBSAMPLE_ANNOTATORS} of each grid's kept answers "
        f"(drawn with a fixed seed) beside the frequencies from all of them (Fig 24): "
        f"{s.pairs} pairs, mean absolute difference {s.mean_abs_difference:.3f}, "
        f"{s.crossed} pairs change side of {s.threshold:g}.",
        no_rows(table, bool(s.pairs)),
        draw,
    )


def pairs(an: CampaignAnalyses) -> Chart:
    """Figs 7b, 23."""
    models = sorted({m for p in an.pairs for m in p.accuracy})
    table = pd.DataFrame(
        [
            {
                "class_a": p.a,
                "class_b": p.b,
                "images": p.images,
                "mean_top1_accuracy": p.mean_accuracy,
                **{f"top1_accuracy:{m}": p.accuracy.get(m, np.nan) for m in models},
            }
            for p in an.pairs
        ],
        columns=["class_a", "class_b", "images", "mean_top1_accuracy"]
        + [f"top1_accuracy:{m}" for m in models],
    )
    top = an.pairs[:15][::-1]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(top))
        ax.barh(y, [p.images for p in top], color=ORANGE)
        ax.set_yticks(y, [f"{p.a[:20]} / {p.b[:20]}" for p in top])
        for k, p in enumerate(top):
            if not np.isnan(p.mean_accuracy):
                ax.text(
                    0.1, k, f"top-1 {p.mean_accuracy:.2f}", va="center", fontsize=7, color="white"
                )
        ax.set_xlabel(f"images where both have selection frequency >= {an.pair_threshold:g}")

    return Chart(
        "confusing-pairs",
        "Class pairs validated together",
        f"Pairs of classes both selected by at least {an.pair_threshold:g} of the workers in "
        "CONTAINS for the same images (Figs 7b, 23), with the models' mean top-1 accuracy "
        "(first prediction = dataset label) on those images.",
        table,
        draw,
        (6.4, 1.2 + 0.3 * max(len(top), 2)),
        {**WIDE_LABELS, "left": 0.45, "bottom": 0.25},
    )
