"""The researcher's campaign pages (/campaigns/): thin views over studio's services. A user
sees and manages the campaigns api.access shows them (their own; staff: all)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.access import owned_campaign, researcher_required, visible_campaigns
from core.errors import FinelabelError
from pipeline.stages import followup
from studio import controls, lifecycle
from studio.forms import CampaignForm, ControlsForm, StartForm
from studio.planning import CROWDS, control_coverage, cost_estimate, crowd_of
from studio.progress import campaign_progress
from studio.progress import lifecycle as lifecycle_of


@researcher_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = visible_campaigns(request.user).select_related("dataset")
    rows = [{"campaign": c, "lifecycle": lifecycle_of(c)} for c in campaigns]
    return render(request, "studio/list.html", {"rows": rows})


@researcher_required
@require_http_methods(["GET", "POST"])
def new_campaign(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        crowd = data.pop("crowd")
        try:
            campaign = lifecycle.create_campaign(request.user, crowd, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except IntegrityError:
            form.add_error(None, "These settings break a rule of the campaign; check them.")
        else:
            messages.success(request, f"Campaign {campaign.name!r} created.")
            return redirect("studio-campaign", campaign.pk)
    return render(request, "studio/new.html", {"form": form})


def _page(request: HttpRequest, campaign, **forms) -> HttpResponse:
    context = {
        "campaign": campaign,
        "crowd": CROWDS[crowd_of(campaign)],
        "progress": campaign_progress(campaign),
        "cost": cost_estimate(campaign),
        "coverage": control_coverage(campaign),
        "start_form": forms.get("start_form") or StartForm(),
        "controls_form": forms.get("controls_form") or ControlsForm(),
        "controls_root": settings.FINELABEL_CONTROLS_ROOT,
    }
    return render(request, "studio/campaign.html", context, status=forms.get("status", 200))


@researcher_required
def campaign_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _page(request, owned_campaign(request.user, campaign_id))


@researcher_required
@require_POST
def add_controls(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request.user, campaign_id)
    form = ControlsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, campaign, controls_form=form, status=400)
    root = Path(settings.FINELABEL_CONTROLS_ROOT)
    try:
        if form.cleaned_data["manifest"]:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "controls.csv"
                path.write_bytes(form.cleaned_data["manifest"].read())
                report = controls.add_controls(campaign, str(path), root=root, uploaded=True)
        else:
            report = controls.add_controls(campaign, form.cleaned_data["folder"].strip(), root=root)
    except (FinelabelError, ValueError, csv.Error) as exc:
        form.add_error(
            None, str(exc) if isinstance(exc, FinelabelError) else f"Unreadable CSV: {exc}"
        )
        return _page(request, campaign, controls_form=form, status=400)
    for line in controls.report_lines(report):
        messages.info(request, line)
    return redirect("studio-campaign", campaign.pk)


@researcher_required
@require_POST
def act(request: HttpRequest, campaign_id: int, action: str) -> HttpResponse:
    campaign = owned_campaign(request.user, campaign_id)
    if action not in ("start", "pause", "resume", "close"):
        raise Http404("No such action.")
    form = StartForm(request.POST)
    try:
        if action == "start":
            form.is_valid()
            started = lifecycle.start(campaign, **form.cleaned_data)
            for line in started.lines:
                messages.info(request, line)
        else:
            getattr(lifecycle, action)(campaign)
            messages.success(request, f"Campaign {campaign.name!r}: {action} done.")
    except FinelabelError as exc:
        messages.error(request, str(exc))
    return redirect("studio-campaign", campaign.pk)


@researcher_required
@require_POST
def ask_followup(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """More answers on the ambiguous images (the dashboard's follow-up button)."""
    campaign = owned_campaign(request.user, campaign_id)
    try:
        report = followup.ask(campaign, int(request.POST.get("more", "3")))
    except (FinelabelError, ValueError) as exc:
        text = exc.message if isinstance(exc, FinelabelError) else "Not a number of answers."
        messages.error(request, text)
    else:
        messages.success(request, f"Follow-up: {report}.")
    return redirect("dashboard", campaign_id=campaign.pk)
