"""Shared by the pipeline commands: find a campaign by id or name, with a clear error."""

from django.core.management.base import CommandError

from pipeline.models import Campaign


def get_campaign(ref: str) -> Campaign:
    campaigns = Campaign.objects.filter(pk=int(ref)) if ref.isdigit() else Campaign.objects.none()
    campaign = campaigns.first() or Campaign.objects.filter(name=ref).first()
    if campaign is None:
        names = ", ".join(f"{c.pk} {c.name!r}" for c in Campaign.objects.order_by("pk")[:10])
        raise CommandError(f"no campaign {ref!r} (id or name); campaigns: {names or 'none'}")
    return campaign
