"""The paper's analyses as charts: each a title, a table of its numbers (the CSV) and a drawing
(matplotlib, Agg, no pyplot state), rendered to SVG or PNG and cached per campaign version."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.core.cache import cache  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dashboard.analyses import CACHE_SECONDS, CampaignAnalyses, cache_key
from pipeline.selectors import RANDOM_WEIGHTS_NOTE, PotentialLabelsSource, potential_labels_source

FORMATS = ("svg", "png", "csv")
MODEL_CONFUSION = "confusion-model-"
CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}
SIZE = (6.4, 3.4)
COLOURS = {"top1": "#9aa5b8", "top5": "#5b7fc7", "multilabel": "#2a9d6f"}
MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.16, "top": 0.93, "wspace": 0.08}
WIDE_LABELS = {"left": 0.33}
STYLE = {
    "svg.fonttype": "none",  # text stays text: small, searchable, selectable
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    table: pd.DataFrame
    draw: Callable[[Figure], None]
    size: tuple[float, float] = SIZE
    margins: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.table.empty


def _no_data(fig: Figure) -> None:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, "No data yet", ha="center", va="center", fontsize=12, color="#5b6475")


def _bars(table: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str) -> Callable:
    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.bar(table[x].to_numpy(), table[y].to_numpy(), color="#5b7fc7")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(table) <= 25:
            ax.set_xticks(table[x].to_numpy())
        else:
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(20, integer=True))

    return draw


def _count_chart(name: str, title: str, caption: str, counts: dict, what: str) -> Chart:
    table = pd.DataFrame({what: list(counts), "images": list(counts.values())})
    if counts:
        mean = sum(k * v for k, v in counts.items()) / sum(counts.values())
        caption = f"{caption} Mean {mean:.2f} over {sum(counts.values())} images."
    return Chart(name, title, caption, table, _bars(table, what, "images", what, "images"))


def _agreement(an: CampaignAnalyses) -> Chart:
    edges = an.agreement_edges
    table = pd.DataFrame(
        {"share_low": edges[:-1], "share_high": edges[1:], "images": an.agreement_counts}
    )
    if not sum(an.agreement_counts):
        table = table.iloc[0:0]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.bar(
            edges[:-1],
            an.agreement_counts,
            width=np.diff(edges),
            align="edge",
            color="#5b7fc7",
            edgecolor="white",
        )
        ax.set_xlabel("share of a image's answers with the chosen number of objects")
        ax.set_ylabel("images")

    return Chart(
        "object-agreement",
        "Workers' agreement on the number of objects",
        "For each aggregated image, the share of its CLASSIFY answers that selected as many "
        "labels as the number of objects the aggregation chose.",
        table,
        draw,
    )


def _multi(an: CampaignAnalyses) -> Chart:
    m = an.multi
    single = m.images - m.multi_object
    single_differs = m.main_differs - m.multi_object_main_differs
    table = pd.DataFrame(
        {
            "images": ["single object", "multi-object"],
            "count": [single, m.multi_object],
            "main_label_differs": [single_differs, m.multi_object_main_differs],
        }
    )
    if not m.images:
        table = table.iloc[0:0]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        kinds = table["images"]
        same = table["count"] - table["main_label_differs"]
        ax.barh(kinds, same, color="#5b7fc7", label="main label = dataset label")
        ax.barh(
            kinds,
            table["main_label_differs"],
            left=same,
            color="#e07b39",
            label="main label differs",
        )
        ax.set_xlabel("images")
        ax.legend(frameon=False, loc="lower right")

    share = f"{100 * m.multi_object_share:.1f}%" if m.images else "-"
    return Chart(
        "multi-object",
        "Multi-object images and main-label disagreements",
        f"{m.multi_object} of {m.images} aggregated images ({share}) hold more than one object; "
        f"in {m.multi_object_main_differs} of them the main label is not the dataset label.",
        table,
        draw,
        (6.4, 2.4),
        {"left": 0.2, "bottom": 0.22},
    )


def _heatmap(
    name: str,
    title: str,
    caption: str,
    matrix: np.ndarray,
    names: list[str],
    rows: str,
    cols: str,
    normalise: bool,
) -> Chart:
    sums = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, sums, out=np.zeros(matrix.shape), where=sums > 0)
    r, c = np.indices(matrix.shape)
    table = pd.DataFrame(
        {
            rows: np.array(names)[r.ravel()] if names else [],
            cols: np.array(names)[c.ravel()] if names else [],
            "count": matrix.ravel(),
            "row_share": shares.ravel(),
        }
    )
    if not matrix.sum():
        table = table.iloc[0:0]
    shown = shares if normalise else matrix

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        im = ax.imshow(shown, cmap="Blues", vmin=0)
        short = [n[:18] for n in names]
        ax.set_xticks(range(len(names)), short, rotation=60, ha="right")
        ax.set_yticks(range(len(names)), short)
        ax.set_xlabel(cols.replace("_", " "))
        ax.set_ylabel(rows.replace("_", " "))
        ax.spines[:].set_visible(False)
        fig.colorbar(
            im, ax=ax, shrink=0.8, pad=0.02, label="share of row" if normalise else "images"
        )

    margins = {"left": 0.3, "bottom": 0.3, "right": 0.98, "top": 0.97}
    return Chart(name, title, caption, table, draw, (6.4, 5.6), margins)


def _accuracy(an: CampaignAnalyses) -> Chart:
    records = [
        {"model": s.model, "subset": subset, "metric": metric, **iv.as_dict()}
        for s in an.models
        for subset in ("single", "multi")
        for metric, iv in s.accuracy[subset].items()
    ]
    table = pd.DataFrame(
        records, columns=["model", "subset", "metric", "value", "low", "high", "n"]
    )
    table = table[table["n"] > 0]

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 2, sharey=True)
        models = [s.model for s in an.models]
        x = np.arange(len(models))
        width = 0.27
        for ax, subset in zip(axes, ("single", "multi"), strict=True):
            for k, metric in enumerate(("top1", "top5", "multilabel")):
                ivs = [s.accuracy[subset][metric] for s in an.models]
                vals = np.array([iv.value for iv in ivs])
                err = np.array(
                    [[iv.value - iv.low for iv in ivs], [iv.high - iv.value for iv in ivs]]
                )
                ax.bar(
                    x + (k - 1) * width,
                    vals,
                    width,
                    yerr=err,
                    capsize=2,
                    color=COLOURS[metric],
                    label=metric,
                )
            ax.set_title(f"{subset}-object images")
            ax.set_xticks(x, [m[:22] for m in models], rotation=30, ha="right")
            ax.set_ylim(0, 1)
        axes[0].set_ylabel("accuracy (95% bootstrap CI)")
        axes[1].legend(frameon=False, fontsize=8)

    return Chart(
        "model-accuracy",
        "Model accuracy on single- and multi-object images",
        "Top-1 and top-5: the dataset label is the first, or among the five, predictions. "
        "Multi-label: the first prediction is the label of any object in the image.",
        table,
        draw,
        (7.2, 3.8),
        {"bottom": 0.3, "top": 0.92},
    )


def _corrections(an: CampaignAnalyses) -> Chart:
    table = pd.DataFrame(
        {
            "model": [s.model for s in an.models],
            "top5_corrections": [s.top5_corrections for s in an.models],
            "second_object": [s.top5_corrections_second_object for s in an.models],
            "share": [s.second_object_share for s in an.models],
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(table))
        ax.barh(y, table["share"].fillna(0).to_numpy(), color="#2a9d6f")
        ax.set_yticks(y, [m[:28] for m in table["model"]])
        for y, (n, k) in enumerate(
            zip(table["top5_corrections"], table["second_object"], strict=True)
        ):
            ax.text(
                0.01, y, f"{k} of {n}", va="center", fontsize=8, color="white" if k else "black"
            )
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of top-5 corrections whose top-1 is another object in the image")

    return Chart(
        "top5-corrections",
        "Top-5 corrections that are really a second object",
        "Images where the first prediction is not the dataset label but the dataset label is "
        "in the top five; the share in which the first prediction is another object's label.",
        table,
        draw,
        (6.4, 1.2 + 0.35 * max(len(an.models), 2)),
        {**WIDE_LABELS, "bottom": 0.3},
    )


def _human_assessment(an: CampaignAnalyses) -> Chart:
    records = []
    for s in an.models:
        records.append(
            {"model": s.model, "measure": "mean_selection_frequency", **s.mean_sf.as_dict()}
        )
        records.append(
            {"model": s.model, "measure": "predicts_main_label", **s.main_label_rate.as_dict()}
        )
    table = pd.DataFrame(records, columns=["model", "measure", "value", "low", "high", "n"])
    table = table[table["n"] > 0]

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 2, sharey=True)
        models = [s.model[:28] for s in an.models]
        for ax, attr, label in (
            (axes[0], "mean_sf", "mean selection frequency of top-1"),
            (axes[1], "main_label_rate", "top-1 is the main label"),
        ):
            ivs = [getattr(s, attr) for s in an.models]
            vals = np.array([iv.value for iv in ivs])
            err = np.array([[iv.value - iv.low for iv in ivs], [iv.high - iv.value for iv in ivs]])
            ax.errorbar(vals, np.arange(len(models)), xerr=err, fmt="o", capsize=3, color="#5b7fc7")
            ax.set_yticks(np.arange(len(models)), models)
            ax.set_xlim(0, 1)
            ax.set_xlabel(label)
            ax.grid(axis="x", alpha=0.3)

    return Chart(
        "human-assessment",
        "Human assessment of each model",
        "Mean selection frequency of each model's first prediction and how often it is the "
        "main label, with 95% bootstrap intervals.",
        table,
        draw,
        (7.2, 1.2 + 0.35 * max(len(an.models), 2)),
        {**WIDE_LABELS, "bottom": 0.3},
    )


def _mistakes(an: CampaignAnalyses) -> Chart:
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
        "people saw that predicted label in the image. Mistakes at high frequency are often "
        "not mistakes at all.",
        table,
        draw,
    )


def _pairs(an: CampaignAnalyses) -> Chart:
    table = pd.DataFrame(an.pairs, columns=["class_a", "class_b", "images"])
    top = table.head(15).iloc[::-1]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.barh(
            [f"{a[:20]} / {b[:20]}" for a, b in zip(top["class_a"], top["class_b"], strict=True)],
            top["images"],
            color="#e07b39",
        )
        ax.set_xlabel("images in which workers gave both labels to one object")

    return Chart(
        "confusing-pairs",
        "Class pairs workers cannot tell apart",
        "Pairs of classes given to the same object of an image (used for one thing, not two).",
        table,
        draw,
        (6.4, 1.2 + 0.3 * max(len(top), 2)),
        {**WIDE_LABELS, "left": 0.45, "bottom": 0.25},
    )


def potential_caption(source: PotentialLabelsSource | None) -> str:
    """The potential-labels chart's caption: the top-k the labels were built with, and a
    warning when the predictions come from random weights."""
    if source is None:
        return "Union of the models' top-k predictions and the dataset label."
    caption = f"Union of the models' top-{source.top_k} predictions and the dataset label."
    return f"{RANDOM_WEIGHTS_NOTE} {caption}" if source.random_weights else caption


def build_charts(
    an: CampaignAnalyses, potential: PotentialLabelsSource | None = None
) -> dict[str, Chart]:
    """Every chart of the campaign, in page order; `potential` (what the potential labels
    were built from) names their top-k and marks random weights in that chart's caption."""
    charts = [
        _count_chart(
            "potential-labels",
            "Potential labels per image",
            potential_caption(potential),
            an.potential_counts,
            "potential labels",
        ),
        _count_chart(
            "candidate-labels",
            "Candidate labels per image",
            "Labels shown in CLASSIFY, chosen from the selection frequencies.",
            an.candidate_counts,
            "candidate labels",
        ),
        _count_chart(
            "objects-per-image",
            "Objects per image",
            "Distinct objects found by the aggregation of CLASSIFY answers.",
            an.objects_counts,
            "objects",
        ),
        _agreement(an),
        _multi(an),
        _heatmap(
            "confusion-humans",
            "Superclass confusion: people",
            "Rows: the dataset label's superclass; columns: the superclass of the label people "
            "gave the image (main label, or the most selected label). Shares of each row.",
            an.confusion_humans,
            an.superclasses,
            "dataset_label",
            "people",
            True,
        ),
        _heatmap(
            "cooccurrence",
            "Superclass co-occurrence",
            "Images in which objects of two superclasses appear together.",
            an.cooccurrence,
            an.superclasses,
            "superclass",
            "with_superclass",
            False,
        ),
        _pairs(an),
        _accuracy(an),
        _corrections(an),
        _human_assessment(an),
        _mistakes(an),
    ]
    for model, matrix in an.confusion_models.items():
        charts.append(
            _heatmap(
                f"{MODEL_CONFUSION}{an.model_slug(model)}",
                f"Superclass confusion: {model}",
                "Rows: the dataset label's superclass; columns: the superclass of the model's "
                "first prediction. Shares of each row.",
                matrix,
                an.superclasses,
                "dataset_label",
                "model",
                True,
            )
        )
    if potential is not None and potential.random_weights:
        charts[0] = _marked_random(charts[0])
    return {c.name: c for c in charts}


def _marked_random(chart: Chart) -> Chart:
    """The chart, its picture and its numbers marked as coming from untrained weights, so a
    downloaded PNG, SVG or CSV says so too, not only the page's caption."""

    def draw(fig: Figure) -> None:
        chart.draw(fig)
        fig.text(0.5, 0.99, RANDOM_WEIGHTS_NOTE, ha="center", va="top", color="#b3261e")

    table = chart.table.assign(weights="random (untrained)")
    return replace(chart, table=table, draw=draw)


def _render_figure(chart: Chart, fmt: str) -> bytes:
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": chart.name}):
        # Fixed margins: a layout engine would cost more than the drawing itself.
        fig = Figure(figsize=chart.size)
        fig.subplots_adjust(**{**MARGINS, **chart.margins})
        (_no_data if chart.empty else chart.draw)(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else 72, metadata=_metadata(fmt))
    return buf.getvalue()


def _metadata(fmt: str) -> dict:
    # No creation date: the same data renders to the same bytes.
    return {"Date": None} if fmt == "svg" else {"Software": None}


def render(campaign, an: CampaignAnalyses, chart: Chart, fmt: str) -> bytes:
    """The chart as SVG, PNG or CSV bytes, cached until the campaign's analyses change."""
    if fmt == "csv":
        return chart.table.to_csv(index=False).encode()
    key = cache_key(campaign, an.version, f"{chart.name}.{fmt}")
    body = cache.get(key)
    if body is None:
        body = _render_figure(chart, fmt)
        cache.set(key, body, CACHE_SECONDS)
    return body


def page_charts(
    campaign, an: CampaignAnalyses
) -> tuple[dict[str, tuple[Chart, bytes]], list[Chart]]:
    """The campaign page's charts drawn as SVG (through the cache), and the per-model
    confusion matrices, which load as images when opened: one per model would otherwise
    dominate the first render."""
    drawn, lazy = {}, []
    for name, chart in build_charts(an, potential_labels_source(campaign)).items():
        if name.startswith(MODEL_CONFUSION):
            lazy.append(chart)
        else:
            drawn[name] = (chart, render(campaign, an, chart, "svg"))
    return drawn, lazy


def inline_svg(svg: bytes) -> str:
    """The <svg> element alone, for embedding in HTML (no XML prolog or doctype)."""
    text = svg.decode()
    return text[text.index("<svg") :]
