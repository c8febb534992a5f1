"""Dashboard pages (staff only): thin views over the selectors, analyses and charts."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotation.models import Campaign

from . import charts as ch
from . import selectors
from .analyses import campaign_analyses
from .costs import campaign_costs

MODEL_CHARTS = ("model-accuracy", "top5-corrections", "human-assessment", "mistake-sf")


@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("dataset")
    return render(request, "dashboard/index.html", {"campaigns": campaigns})


@staff_member_required
def campaign_dashboard(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("dataset"), pk=campaign_id)
    an = campaign_analyses(campaign)
    charts = ch.build_charts(an)
    figures = {
        name: {"chart": c, "svg": ch.inline_svg(ch.render(campaign, an, c, "svg"))}
        for name, c in charts.items()
    }
    model_names = set(MODEL_CHARTS) | {n for n in figures if n.startswith("confusion-model-")}
    mislabeled_total, mislabeled = selectors.mislabeled_gallery(campaign)
    ambiguous_total, ambiguous = selectors.ambiguous_gallery(campaign)
    context = {
        "campaign": campaign,
        "images": campaign.dataset.images.count(),
        "costs": campaign_costs(campaign),
        "stages": selectors.stage_rows(campaign),
        "crowd": selectors.crowd_progress(campaign),
        "data_figures": [f for n, f in figures.items() if n not in model_names],
        "model_figures": [f for n, f in figures.items() if n in model_names],
        "models": an.models,
        "multi": an.multi,
        "mislabeled": mislabeled,
        "mislabeled_total": mislabeled_total,
        "ambiguous": ambiguous,
        "ambiguous_total": ambiguous_total,
        "pairs": selectors.confusing_pairs(campaign),
        "workers": selectors.worker_table(campaign),
    }
    return render(request, "dashboard/campaign.html", context)


@staff_member_required
def chart(request: HttpRequest, campaign_id: int, name: str, fmt: str) -> HttpResponse:
    """One chart as PNG or SVG, or its numbers as CSV, as a download."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    an = campaign_analyses(campaign)
    found = ch.build_charts(an).get(name)
    if found is None:
        raise Http404(f"No chart named {name!r}.")
    response = HttpResponse(ch.render(campaign, an, found, fmt), content_type=ch.CONTENT_TYPES[fmt])
    filename = f"campaign{campaign.pk}-{name}.{fmt}"
    disposition = "inline" if fmt != "csv" and "download" not in request.GET else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
