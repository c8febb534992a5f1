"""Workers with their answer counts and control accuracy, over the campaigns the user sees."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import User, visible_campaigns
from api.filters import Filter, apply_filters, parameters
from api.pagination import ReadOnlyViewSet
from crowd.api.selectors import workers_with_stats
from crowd.api.serializers import WorkerSerializer
from pipeline.models import Campaign

CAMPAIGN_FILTER = Filter(
    "campaign", "Campaign id: its workers, counted over it.", lambda qs, v, r: qs
)


def _chosen_campaigns(user: User, raw: str) -> QuerySet[Campaign]:
    """The campaign the `campaign` filter names, if the user sees it; any other is a 400."""
    campaign_id = CAMPAIGN_FILTER.parse(raw)
    campaigns = visible_campaigns(user).filter(pk=campaign_id)
    if not campaigns.exists():
        raise ValidationError({"campaign": f"no campaign {campaign_id} visible to you"})
    return campaigns


class WorkerViewSet(ReadOnlyViewSet):
    """Workers with answer counts and control accuracy; with `campaign`, over that campaign."""

    serializer_class = WorkerSerializer
    campaign_filter = CAMPAIGN_FILTER
    filters = [
        Filter(
            "blocked",
            "Blocked workers (true) or the others (false).",
            lambda qs, v, r: qs.filter(blocked=v),
            kind="bool",
        ),
        Filter(
            "source",
            "Where the worker comes from.",
            lambda qs, v, r: qs.filter(source=v),
            kind="str",
            enum=["mturk", "local", "simulated"],
        ),
    ]

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        campaigns = None
        if raw := self.request.query_params.get("campaign"):
            campaigns = _chosen_campaigns(user, raw)
        queryset = workers_with_stats(user, campaigns)
        return apply_filters(queryset, self.request, self.filters)

    @extend_schema(parameters=parameters([campaign_filter, *filters]))
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)
