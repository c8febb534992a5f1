"""Dashboard pages (a campaign's owner and staff: api.access): thin views over the
selectors, analyses and charts."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from api.access import owned_campaign, researcher_required, visible_campaigns
from dashboard import charts as ch
from dashboard import selectors
from dashboard.adaptive import adaptive_section
from dashboard.analyses import CACHE_SECONDS, CampaignAnalyses, cache_key, campaign_analyses
from dashboard.concurrent_loads import Background
from dashboard.costs import campaign_costs
from dashboard.gc_pause import without_gc
from dashboard.probabilistic import probabilistic_section
from dashboard.review import review_section
from pipeline.models import Campaign
from pipeline.selectors import potential_labels_source

MODEL_CHARTS = ch.MODEL_CHARTS


@researcher_required
def index(request: HttpRequest) -> HttpResponse:
    campaigns = visible_campaigns(request.user).select_related("dataset")
    return render(request, "dashboard/index.html", {"campaigns": campaigns})


@researcher_required
@without_gc
def campaign_dashboard(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request.user, campaign_id)
    an = campaign_analyses(campaign)
    # The galleries' queries run while the charts are drawn (see concurrent_loads).
    galleries = Background(lambda: cached_lists(campaign, an))
    drawn, lazy = ch.page_charts(campaign, an)
    figures = {
        name: {"chart": chart, "svg": ch.inline_svg(svg)} for name, (chart, svg) in drawn.items()
    }
    lists = galleries.result()
    context = {
        "campaign": campaign,
        "images": campaign.dataset.images.count(),
        "costs": campaign_costs(campaign),
        "stages": selectors.stage_rows(campaign),
        "crowd": selectors.crowd_progress(campaign),
        "data_figures": [f for n, f in figures.items() if n not in MODEL_CHARTS],
        "model_figures": [f for n, f in figures.items() if n in MODEL_CHARTS],
        "lazy_charts": lazy,
        "models": an.models,
        "multi": an.multi,
        "dataset_label": an.dataset_label,
        "pair_threshold": an.pair_threshold,
        **lists,
        "workers": selectors.worker_table(campaign),
        "review": review_section(campaign, request.user, compute="scores" in request.GET),
        "ds": probabilistic_section(campaign, request.GET.get("ds_page", 1)),
        "adaptive": adaptive_section(campaign),
    }
    return render(request, "dashboard/campaign.html", context)


def cached_lists(campaign: Campaign, an: CampaignAnalyses) -> dict:
    """The galleries, computed once per campaign version (signed thumbnail URLs included:
    they outlive the cache)."""
    key = cache_key(campaign, an.version, "lists:v2")
    lists = cache.get(key)
    if lists is None:
        lists = {"pairs": selectors.confusing_pairs(an.pairs)}
        for name, gallery in (
            ("mislabeled", selectors.mislabeled_gallery),
            ("ambiguous", selectors.ambiguous_gallery),
            ("multi_object", selectors.multi_object_gallery),
            ("main_differs", selectors.main_label_gallery),
        ):
            lists[f"{name}_total"], lists[name] = gallery(campaign)
        cache.set(key, lists, min(CACHE_SECONDS, settings.FINELABEL_IMAGE_URL_MAX_AGE // 2))
    return lists


@researcher_required
@without_gc
def chart(request: HttpRequest, campaign_id: int, name: str, fmt: str) -> HttpResponse:
    """One chart as PNG or SVG, or its numbers as CSV, as a download."""
    campaign = owned_campaign(request.user, campaign_id)
    an = campaign_analyses(campaign)
    found = ch.build_charts(an, potential_labels_source(campaign)).get(name)
    if found is None:
        raise Http404(f"No chart named {name!r}.")
    response = HttpResponse(ch.render(campaign, an, found, fmt), content_type=ch.CONTENT_TYPES[fmt])
    filename = f"campaign{campaign.pk}-{name}.{fmt}"
    disposition = "inline" if fmt != "csv" and "download" not in request.GET else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#2f6fde"/></svg>'
)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every bare page (admin, chart downloads)."""
    response = HttpResponse(FAVICON, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
