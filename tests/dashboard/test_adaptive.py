"""The dashboard's adaptive-collection section (answers and money saved against the fixed
design) and its follow-up button on ambiguous images."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crowd.mturk.costs import assignment_cost
from pipeline import flow
from pipeline.models import AnswerRequest, ImageInclusion
from pipeline.stages import adaptive
from simulation.crowd_source import SimulatedCrowd
from tests.builders import ORANGE, SOCCER_BALL, TABBY

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client):
    user = get_user_model().objects.create_user("owner", password="pw")
    client.force_login(user)
    client.user = user
    return client


def test_section_shows_savings_and_the_button_asks_for_more_answers(
    owner_client, make_campaign, client
):
    campaign = make_campaign([TABBY, SOCCER_BALL, ORANGE], 10, extra=1, seed=5)
    campaign.contains_min_assignments = 3
    campaign.owner = owner_client.user
    campaign.save()
    flow.run_stages(campaign, list(flow.CONTAINS), SimulatedCrowd(spammer_share=0.0, seed=2))
    answers = sum(adaptive.counted(campaign, "contains").values())
    grids = len(adaptive.counted(campaign, "contains"))
    saved = grids * 9 - answers
    assert saved > 0
    # One image left without enough answers (as quality control can leave it): the button.
    image = ImageInclusion.objects.filter(campaign=campaign).first()
    ImageInclusion.objects.filter(pk=image.pk).update(category="ambiguous")

    url = reverse("dashboard", args=[campaign.pk])
    html = owner_client.get(url).content.decode()
    section = html[html.index('id="adaptive"') :]
    row = re.search(
        r'class="adaptive-stage"><td>CONTAINS</td><td>3 to 9</td>(.*?)</tr>', section, re.S
    )
    assert row, section
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[:3] == [
        str(answers),
        str(grids * 9),
        f"{saved} ({round(100 * saved / (grids * 9))}%)",
    ]
    money = saved * assignment_cost(campaign.contains_reward, 9)
    assert f"<strong>{saved}</strong> answers and <strong>${money:,.2f}</strong> saved" in section
    assert 'id="followup-form"' in section

    followup = reverse("studio-followup", args=[campaign.pk])
    assert owner_client.get(followup).status_code == 405
    response = owner_client.post(followup, {"more": "2"}, follow=True)
    assert response.status_code == 200
    assert "Follow-up: 1 ambiguous images in 1 grids: 2 more answers asked of 1 grids" in (
        response.content.decode()
    )
    request = AnswerRequest.objects.get(campaign=campaign, reason="followup")
    assert request.grid.items.filter(image=image.image).exists()
    bad = owner_client.post(followup, {"more": "nine"}, follow=True).content.decode()
    assert "Not a number of answers." in bad

    # Someone else's campaign: not found, and nothing asked.
    other = get_user_model().objects.create_user("other", password="pw")
    client.force_login(other)
    assert client.post(followup, {"more": "2"}).status_code == 404
    assert AnswerRequest.objects.filter(reason="followup").count() == 1
