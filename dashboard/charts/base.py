"""What every chart is made of: a title, a caption, a table of its numbers (the CSV) and a
drawing (matplotlib, Agg, no pyplot state), rendered to SVG or PNG and cached per campaign
version; and the drawings several families share (bars, heatmaps, interval dots)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from django.core.cache import cache  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dashboard.analyses import CACHE_SECONDS, CampaignAnalyses, cache_key  # noqa: E402
from dashboard.figures import Interval  # noqa: E402
from pipeline.selectors import RANDOM_WEIGHTS_NOTE  # noqa: E402

FORMATS = ("svg", "png", "csv")
CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}
SIZE = (6.4, 3.4)
BLUE, ORANGE, GREEN, GREY = "#5b7fc7", "#e07b39", "#2a9d6f", "#9aa5b8"
COLOURS = {"top1": GREY, "top5": BLUE, "multilabel": GREEN, "main": ORANGE}
MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.16, "top": 0.93, "wspace": 0.08}
WIDE_LABELS = {"left": 0.33}
LABEL_WIDTH = 26  # characters a line of a heatmap's tick label
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


def no_rows(table: pd.DataFrame, keep: bool) -> pd.DataFrame:
    """The table, or its columns alone when there is nothing to show."""
    return table if keep else table.iloc[0:0]


def model_rows(count: int) -> tuple[float, float]:
    """A figure size tall enough for one row per model."""
    return (7.2, 1.2 + 0.35 * max(count, 2))


def _no_data(fig: Figure) -> None:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, "No data yet", ha="center", va="center", fontsize=12, color="#5b6475")


def bars(table: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str) -> Callable:
    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.bar(table[x].to_numpy(), table[y].to_numpy(), color=BLUE)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if len(table) <= 25:
            ax.set_xticks(table[x].to_numpy())
        else:
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(20, integer=True))

    return draw


def count_chart(name: str, title: str, caption: str, counts: dict, what: str) -> Chart:
    """Images per count (a histogram of integers), with the mean in the caption."""
    table = pd.DataFrame({what: list(counts), "images": list(counts.values())})
    if counts:
        mean = sum(k * v for k, v in counts.items()) / sum(counts.values())
        caption = f"{caption} Mean {mean:.2f} over {sum(counts.values())} images."
    return Chart(name, title, caption, table, bars(table, what, "images", what, "images"))


def heatmap(
    name: str,
    title: str,
    caption: str,
    matrix: np.ndarray,
    names: list[str],
    axes: tuple[str, str],
    normalise: bool,
) -> Chart:
    """A superclass matrix: rows `axes[0]`, columns `axes[1]`; counts and row shares in the
    table, row shares (or counts) drawn."""
    rows, cols = axes
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
    shown = shares if normalise else matrix

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        im = ax.imshow(shown, cmap="Blues", vmin=0)
        # Whole names, on lines of at most LABEL_WIDTH characters (the longest superclass,
        # "Implements, containers, misc. objects", takes two).
        wrapped = [textwrap.fill(n, LABEL_WIDTH) for n in names]
        ax.set_xticks(range(len(names)), wrapped, rotation=90)
        ax.set_yticks(range(len(names)), wrapped)
        ax.set_xlabel(cols.replace("_", " "))
        ax.set_ylabel(rows.replace("_", " "))
        ax.spines[:].set_visible(False)
        label = "share of row" if normalise else "images"
        fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02, label=label)

    margins = {"left": 0.31, "bottom": 0.31, "right": 0.98, "top": 0.97}
    table = no_rows(table, bool(matrix.sum()))
    return Chart(name, title, caption, table, draw, (7.0, 6.6), margins)


def interval_records(label: str, measure: str, iv: Interval, **extra) -> dict:
    return {"model": label, "measure": measure, **iv.as_dict(), **extra}


def error_bars(ivs: Sequence[Interval]) -> np.ndarray:
    """matplotlib's yerr/xerr (distances below and above) of intervals."""
    return np.array([[iv.value - iv.low for iv in ivs], [iv.high - iv.value for iv in ivs]])


def marked_random(chart: Chart) -> Chart:
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
    # v3: whole superclass names on the heatmaps; pictures cached before are not read back.
    key = cache_key(campaign, an.version, f"{chart.name}.v3.{fmt}")
    body = cache.get(key)
    if body is None:
        body = _render_figure(chart, fmt)
        cache.set(key, body, CACHE_SECONDS)
    return body


def inline_svg(svg: bytes) -> str:
    """The <svg> element alone, for embedding in HTML (no XML prolog or doctype)."""
    text = svg.decode()
    return text[text.index("<svg") :]
