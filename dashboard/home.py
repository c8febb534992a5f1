"""Pages of the annotation app (the crowd's pages come with the CONTAINS and CLASSIFY stages)."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue.models import Dataset, LabelClass
from pipeline.models import Campaign


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: what is loaded, and where to go next."""
    context = {
        "class_count": LabelClass.objects.count(),
        "datasets": Dataset.objects.annotate(image_count=Count("images")),
        "campaigns": Campaign.objects.select_related("dataset")[:20],
    }
    return render(request, "home.html", context)


def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and docker compose: the app answers and reaches its database."""
    LabelClass.objects.exists()
    return HttpResponse("ok", content_type="text/plain")
