"""The Worker admin shows each worker's control accuracy and the share QC dropped."""

from __future__ import annotations

import pytest

from crowd.models import QcStatus
from tests.builders import (
    SOCCER_BALL,
    TABBY,
    answer,
    hand_grid,
    make_images,
    worker,
)

pytestmark = pytest.mark.django_db


def test_worker_list_shows_control_accuracy(make_campaign, catalogue, admin_client):
    campaign = make_campaign([TABBY], 1, extra=0)
    controls = make_images(campaign.dataset, catalogue[TABBY], 5)
    tested = make_images(campaign.dataset, catalogue[SOCCER_BALL], 2)
    g1 = hand_grid(campaign, catalogue[TABBY], tested[:1], controls)
    g2 = hand_grid(campaign, catalogue[TABBY], tested[1:], controls)
    w = worker("careful-one")
    a1 = answer(g1, w, tested, controls_found=4)
    answer(g2, w, controls_found=1)  # 5 of 10 controls in all
    a1.qc_status = QcStatus.DROPPED_ANSWER
    a1.save()
    page = admin_client.get("/admin/crowd/worker/").content.decode()
    assert "careful-one" in page
    assert "50% of 10" in page  # control accuracy
    assert "100% of 1" in page  # dropped share: 1 checked answer, dropped
