"""The dashboard in headless Chromium: logged in through the admin's form, every chart drawn,
thumbnails loaded, screenshots kept under test-artifacts/, and no error in the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from selenium.webdriver.support.ui import WebDriverWait

from simulation.sample_campaign import build_sample_campaign
from tests.browser import needs_chromium, start_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def browser():
    driver = start_chromium(1400, 1000, console_log=True)
    yield driver
    driver.quit()


def _screenshot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(height + 100, 16000))
    driver.save_screenshot(str(ARTIFACTS / name))


def _severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_dashboard_in_chromium(live_server, browser, catalogue, media_root):
    campaign = build_sample_campaign(150, seed=11, n_models=3, write_files=True)
    get_user_model().objects.create_user("researcher", password="s3cret-pw", is_staff=True)
    url = live_server.url + reverse("dashboard", args=[campaign.pk])

    browser.get(url)  # not logged in: the login page, then back
    assert "/accounts/login/" in browser.current_url
    browser.find_element("name", "username").send_keys("researcher")
    browser.find_element("name", "password").send_keys("s3cret-pw")
    browser.find_element("css selector", "form.login button[type=submit]").click()
    # click() returns before the POST is answered: wait for the redirect, or the test's
    # teardown would empty the database under the login still being handled
    WebDriverWait(browser, 60).until(lambda d: d.current_url == url)
    assert campaign.name in browser.find_element("tag name", "h1").text

    # every inline chart drawn with some content
    figures = browser.find_elements("css selector", "figure.chart .svg svg")
    assert len(figures) >= 12
    for svg in figures:
        assert svg.size["width"] > 200 and svg.size["height"] > 100
    # thumbnails of the galleries actually load
    thumbs = browser.find_elements("css selector", ".gallery img")
    assert thumbs
    for img in thumbs:
        browser.execute_script("arguments[0].scrollIntoView()", img)
    loaded = browser.execute_script(
        "return [...document.querySelectorAll('.gallery img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded
    # the per-model confusion matrices load when opened
    browser.find_element("css selector", "details.lazy summary").click()
    lazy = browser.find_elements("css selector", "details.lazy img")
    assert len(lazy) == 3
    for img in lazy:
        browser.execute_script("arguments[0].scrollIntoView()", img)
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('details.lazy img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
    )
    _screenshot(browser, "campaign.png")
    assert _severe(browser) == []

    # a chart opened on its own, as PNG and as SVG
    for fmt in ("png", "svg"):
        browser.get(
            live_server.url + reverse("dashboard-chart", args=[campaign.pk, "model-accuracy", fmt])
        )
        _screenshot(browser, f"model-accuracy-{fmt}.png")
    assert _severe(browser) == []
