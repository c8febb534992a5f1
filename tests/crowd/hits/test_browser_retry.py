"""A submission that does not go through (the server or a proxy answers with an HTML error
page, or the connection fails): the HIT page says so in words, keeps the worker's selection and
offers to try again; the retry stores the answer. Headless Chromium on pages opened through a
local crowd invite (the submit path is the same in every mode); screenshots go to
test-artifacts/hits/."""

from __future__ import annotations

import pytest

from crowd.hits import views
from crowd.models import ClassifyAnswer, ContainsAnswer
from crowd.services.invites import invite_link
from tests.browser import needs_chromium
from tests.crowd.factories import make_campaign, make_classify_task, make_grid
from tests.crowd.hits import test_browser as pages
from tests.crowd.hits.test_browser import shot, thumbnails_loaded, wait

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]
driver = pages.driver  # the HIT page tests' Chromium (a fixture)


def failing_once(monkeypatch, name: str) -> list[int]:
    """Make the view's answer service raise on its first call: Django then answers with its
    HTML 500 page, as a server in trouble (a dropped database connection) would."""
    real = getattr(views, name)
    calls: list[int] = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(views, name, flaky)
    return calls


def message_text(driver) -> str:
    return driver.find_element(By.ID, "message").text


def stored(driver) -> bool:
    return "your answer is stored" in message_text(driver)


def test_contains_submit_answered_with_html_offers_a_retry_and_keeps_the_selection(
    driver, live_server, media_root, monkeypatch
):
    calls = failing_once(monkeypatch, "submit_contains")
    grid = make_grid(make_campaign(), files=True)
    driver.get(live_server.url + invite_link("contains", grid.public_id, "ann.lab"))
    cells = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#grid .pick"))
    wait(driver, thumbnails_loaded)
    for i in (1, 4, 7):
        cells[i].click()
    chosen = {int(cells[i].get_attribute("data-position")) for i in (1, 4, 7)}
    driver.find_element(By.ID, "submit").click()

    wait(driver, lambda d: "did not go through" in message_text(d))
    text = message_text(driver)
    assert "Unexpected token" not in text and "JSON" not in text
    assert "selection is kept" in text
    retry = driver.find_element(By.ID, "retry")
    assert retry.is_displayed() and retry.is_enabled()
    pressed = driver.find_elements(By.CSS_SELECTOR, "#grid .pick[aria-pressed=true]")
    assert {int(c.get_attribute("data-position")) for c in pressed} == chosen
    assert driver.find_element(By.ID, "count").text == "3"
    assert not ContainsAnswer.objects.exists()
    shot(driver, "contains-submit-failed-retry")

    driver.find_element(By.ID, "retry").click()
    wait(driver, stored)
    assert len(calls) == 2
    answer = ContainsAnswer.objects.get()
    assert answer.worker.external_id == "ann.lab"
    assert set(answer.selections.values_list("item__position", flat=True)) == chosen


def test_classify_submit_after_a_lost_connection_offers_a_retry(driver, live_server, media_root):
    task = make_classify_task(make_campaign(), options=3, files=True)
    driver.get(live_server.url + invite_link("classify", task.public_id, "ann.lab"))
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "input[name=present]"))
    driver.find_elements(By.CSS_SELECTOR, "input[name=present]")[1].click()
    driver.find_elements(By.CSS_SELECTOR, "input[name=main]")[1].click()
    # The connection fails before any answer comes (the network, or a server that is down).
    driver.execute_script(
        "window.realFetch = window.fetch;"
        "window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));"
    )
    driver.find_element(By.ID, "submit").click()
    wait(driver, lambda d: "did not go through" in message_text(d))
    assert driver.find_elements(By.CSS_SELECTOR, "input[name=present]")[1].is_selected()
    assert driver.find_elements(By.CSS_SELECTOR, "input[name=main]")[1].is_selected()
    driver.execute_script("window.fetch = window.realFetch;")
    driver.find_element(By.ID, "retry").click()
    wait(driver, stored)
    answer = ClassifyAnswer.objects.get()
    options = dict(task.options.values_list("position", "label_id"))
    assert answer.main_label_id == options[1]
