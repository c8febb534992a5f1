"""`manage.py sample_campaign`: a populated campaign to look at on the dashboard."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline.models import Campaign, ImageLabels


@pytest.mark.django_db
def test_command_builds_a_campaign_whose_dashboard_answers(catalogue, admin_client):
    out = io.StringIO()
    call_command("sample_campaign", "--images", "40", "--seed", "3", stdout=out)
    campaign = Campaign.objects.get()
    assert campaign.dataset.images.count() == 40
    assert ImageLabels.objects.filter(campaign=campaign).exists()
    assert f"/dashboard/{campaign.pk}/" in out.getvalue()
    assert admin_client.get(f"/dashboard/{campaign.pk}/").status_code == 200


@pytest.mark.django_db
def test_command_refuses_no_images(catalogue):
    with pytest.raises(CommandError, match="--images must be at least 1"):
        call_command("sample_campaign", "--images", "0", stdout=io.StringIO())
