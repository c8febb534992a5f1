"""The per-class pages of a campaign (Tsipras et al., Figs 6, 19, 20, 25): every class with
its images, multi-object share, human agreement, dataset-label selection frequency and the
models' accuracy (pipeline.rules.class_figures), and one class's images. Reads only; the
inputs are cached until the campaign's analyses change."""

from __future__ import annotations

import pandas as pd
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from matplotlib.figure import Figure

from api.access import owned_campaign, researcher_required
from catalogue.image_urls import thumbnail_url
from catalogue.models import LabelClass
from dashboard import figure_data as data
from dashboard.analyses import CACHE_SECONDS, cache_key
from dashboard.charts import Chart, _render_figure, inline_svg
from dashboard.charts.base import BLUE
from pipeline.models import Campaign
from pipeline.rules.class_figures import SORT_KEYS, ClassRow, class_images, class_rows, ranked

TOP = 15  # classes in each "most ..." list
IMAGES_SHOWN = 120  # images on a class's page


def class_inputs(campaign: Campaign) -> dict:
    """The aggregated images, their dataset label's frequency and the models' predictions."""
    key = cache_key(campaign, data.analysis_version(campaign), "classes:v1")
    found = cache.get(key)
    if found is None:
        found = {
            "truths": data.image_truths(campaign),
            "sf": data.dataset_label_sf(campaign),
            "predictions": data.model_predictions(campaign),
        }
        cache.set(key, found, CACHE_SECONDS)
    return found


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def row_view(row: ClassRow, names: dict[int, str]) -> dict:
    return {
        "label": row.label,
        "name": names.get(row.label, str(row.label)),
        "images": row.images,
        "multi_object": row.multi_object,
        "multi_share": _pct(row.multi_share),
        "agreement": _pct(row.agreement),
        "main_object_differs": row.main_object_differs,
        "dataset_sf": row.dataset_sf,
        "sf_measured": row.sf_measured,
        "mean_top1": _pct(row.mean_top1),
        "mean_multilabel": _pct(row.mean_multilabel),
        "top1": {m: 100 * v for m, v in row.top1.items()},
    }


def agreement_chart(rows: list[ClassRow], names: dict[int, str]) -> Chart:
    """Fig 20: per class, the models' mean top-1 accuracy against human agreement."""
    kept = [r for r in rows if r.mean_top1 is not None]
    table = pd.DataFrame(
        {
            "class": [names.get(r.label, str(r.label)) for r in kept],
            "agreement": [r.agreement for r in kept],
            "mean_top1": [r.mean_top1 for r in kept],
            "images": [r.images for r in kept],
        }
    )

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.scatter(table["agreement"], table["mean_top1"], s=10, color=BLUE, alpha=0.7)
        ax.set_xlabel("images whose main label is the dataset label (share)")
        ax.set_ylabel("models' mean top-1 accuracy")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)

    caption = "Per class: human agreement with the dataset label against model accuracy."
    return Chart("class-agreement", "Accuracy against agreement per class", caption, table, draw)


@researcher_required
def classes(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request.user, campaign_id)
    sort = request.GET.get("sort", "images")
    if sort not in SORT_KEYS:
        return HttpResponseBadRequest(f"Unknown sort {sort!r}: one of {', '.join(SORT_KEYS)}.")
    descending = request.GET.get("order", "desc") != "asc"
    inputs = class_inputs(campaign)
    rows = class_rows(inputs["truths"], inputs["sf"], inputs["predictions"])
    names = data.class_names()
    chart = agreement_chart(rows, names)
    context = {
        "campaign": campaign,
        "sort": sort,
        "descending": descending,
        "sort_keys": SORT_KEYS,
        "models": list(inputs["predictions"]),
        "rows": [row_view(r, names) for r in ranked(rows, sort, descending=descending)],
        "most_multi": [row_view(r, names) for r in ranked(rows, "multi_share", limit=TOP)],
        "lowest_sf": [
            row_view(r, names) for r in ranked(rows, "dataset_sf", descending=False, limit=TOP)
        ],
        "most_main_elsewhere": [
            row_view(r, names) for r in ranked(rows, "main_object_differs", limit=TOP)
        ],
        "chart_svg": "" if chart.empty else inline_svg(_render_figure(chart, "svg")),
    }
    return render(request, "dashboard/classes.html", context)


@researcher_required
def class_detail(request: HttpRequest, campaign_id: int, index: int) -> HttpResponse:
    campaign = owned_campaign(request.user, campaign_id)
    label = LabelClass.objects.filter(index=index).first()
    if label is None:
        raise Http404(f"No class {index}.")
    inputs = class_inputs(campaign)
    truths = [t for t in inputs["truths"] if t.dataset_label == index]
    (row,) = class_rows(truths, inputs["sf"], inputs["predictions"]) or (None,)
    names = data.class_names()
    shown = class_images(truths, index, inputs["sf"], inputs["predictions"])[:IMAGES_SHOWN]
    images = data.gallery_images([i.image for i in shown])
    items = [
        {
            "thumbnail": thumbnail_url(images[i.image]),
            "public_id": images[i.image].public_id,
            "objects": [names.get(o, str(o)) for o in i.objects],
            "main": names.get(i.main_label, str(i.main_label)),
            "main_elsewhere": i.main_object_differs,
            "dataset_sf": i.dataset_sf,
            "top1": {m: names.get(p, str(p)) for m, p in i.top1.items()},
        }
        for i in shown
        if i.image in images
    ]
    context = {
        "campaign": campaign,
        "label": label,
        "row": row_view(row, names) if row else None,
        "items": items,
        "total": len(truths),
    }
    return render(request, "dashboard/class_detail.html", context)
