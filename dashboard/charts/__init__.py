"""The paper's analyses as charts, one module per family: labels (what the annotators found),
superclasses (Fig 10) and models (the models on the new labels); base holds what they share
(the Chart, rendering and caching), page the campaign page's order."""

from dashboard.charts.base import CONTENT_TYPES, FORMATS, Chart, _render_figure, inline_svg, render
from dashboard.charts.page import MODEL_CHARTS, build_charts, page_charts, potential_caption
from dashboard.charts.superclasses import MODEL_CONFUSION

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "MODEL_CHARTS",
    "MODEL_CONFUSION",
    "Chart",
    "_render_figure",  # timed alone by bench/dashboard.py
    "build_charts",
    "inline_svg",
    "page_charts",
    "potential_caption",
    "render",
]
