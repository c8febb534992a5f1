"""Pages of the annotation app (the crowd's pages come with the CONTAINS and CLASSIFY stages)."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from api.access import sees_everything, visible_campaigns, visible_datasets
from catalogue.models import LabelClass


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: what is loaded, and where to go next. Datasets and campaigns are listed
    only to a signed-in user, and only those the API shows them (api.access): an anonymous
    visitor sees none."""
    user = request.user
    signed_in = user.is_authenticated
    context = {
        "class_count": LabelClass.objects.count(),
        "signed_in": signed_in,
        "staff": signed_in and sees_everything(user),
        "datasets": (
            visible_datasets(user).annotate(image_count=Count("images")) if signed_in else []
        ),
        "campaigns": (visible_campaigns(user).select_related("dataset")[:20] if signed_in else []),
    }
    return render(request, "home.html", context)


def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and docker compose: the app answers and reaches its database."""
    LabelClass.objects.exists()
    return HttpResponse("ok", content_type="text/plain")
