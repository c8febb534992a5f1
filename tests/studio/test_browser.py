"""In headless Chromium, a researcher who is not staff signs in through the login page,
creates a campaign on a small drawn dataset, sees its cost and control coverage, starts it,
pauses, resumes and closes it. Screenshots under test-artifacts/studio/."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select, WebDriverWait

from pipeline.models import Campaign
from tests.browser import artifacts, needs_chromium, start_chromium
from tests.studio.conftest import PASSWORD, user

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture
def browser():
    driver = start_chromium(1300, 1400)
    yield driver
    driver.quit()


def click_and_wait(driver, selector: str, url_part: str) -> None:
    before = driver.find_element("css selector", "h1").id
    driver.find_element("css selector", selector).click()
    # click() returns before the POST is answered: wait for the next page
    WebDriverWait(driver, 120).until(
        lambda d: url_part in d.current_url and d.find_element("css selector", "h1").id != before
    )


def test_a_researcher_runs_a_campaign_from_the_web(live_server, browser, dataset):
    user("nina")  # a researcher: not staff
    shots = artifacts("studio")
    browser.get(live_server.url + "/campaigns/")
    assert "/accounts/login/" in browser.current_url
    browser.find_element("name", "username").send_keys("nina")
    browser.find_element("name", "password").send_keys(PASSWORD)
    click_and_wait(browser, "form.login button[type=submit]", "/campaigns/")
    browser.find_element("id", "new-campaign").click()

    browser.find_element("name", "name").send_keys("web-campaign")
    Select(browser.find_element("name", "dataset")).select_by_visible_text("drawn")
    Select(browser.find_element("name", "ensemble")).select_by_value("tiny")
    browser.find_element("name", "contains_min_assignments").send_keys("3")
    click_and_wait(browser, "#campaign-form button[type=submit]", "/campaigns/")
    campaign = Campaign.objects.get(name="web-campaign")
    assert campaign.owner.username == "nina"
    assert browser.current_url.endswith(f"/campaigns/{campaign.pk}/")
    cost = browser.find_element("id", "cost").text
    assert "MTurk fee (20%)" in cost and "at least" in cost
    assert int(browser.find_element("id", "short-count").text) > 0
    browser.save_screenshot(str(shots / "draft.png"))

    browser.find_element("id", "id_random_weights").click()
    click_and_wait(browser, "button[name=start]", "/campaigns/")
    assert browser.find_element("id", "lifecycle").text == "running"
    assert "Grids" in browser.find_element("id", "progress").text
    browser.save_screenshot(str(shots / "started.png"))
    for action, state in (("pause", "paused"), ("resume", "running"), ("close", "closed")):
        click_and_wait(browser, f"button[name={action}]", "/campaigns/")
        assert browser.find_element("id", "lifecycle").text == state
    campaign.refresh_from_db()
    assert campaign.closed_at is not None and campaign.paused_at is None
    browser.save_screenshot(str(shots / "closed.png"))
