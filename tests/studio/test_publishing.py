"""A paused or closed campaign publishes nothing on MTurk, whoever asks (the page's start,
`mturk publish`, the adaptive publisher): crowd.mturk.publish.check_publishable refuses."""

from __future__ import annotations

import pytest

from crowd.mturk.publish import PublishRefused, check_publishable, plan_publish
from studio import lifecycle
from tests.crowd.factories import make_campaign, make_grid

pytestmark = pytest.mark.django_db


def test_paused_and_closed_campaigns_publish_nothing():
    campaign = make_campaign()
    make_grid(campaign)
    check_publishable(plan_publish(campaign, "contains", sandbox=True))  # open: allowed
    lifecycle.pause(campaign)
    with pytest.raises(PublishRefused, match="is paused"):
        check_publishable(plan_publish(campaign, "contains", sandbox=True))
    lifecycle.resume(campaign)
    lifecycle.close(campaign)
    with pytest.raises(PublishRefused, match="is closed"):
        check_publishable(plan_publish(campaign, "contains", sandbox=True))
