"""Human-accuracy mode with a training split, in headless Chromium: the labeller opens a
class's examples and guide in the page, does the training round seeing the feedback, then
the measured round. Screenshots go to test-artifacts/review/."""

from __future__ import annotations

import pytest

from catalogue.models import Dataset
from review import services
from review.models import HumanPick
from tests.browser import needs_chromium, start_chromium
from tests.crowd.factories import make_image
from tests.review.factories import staff
from tests.review.test_browser import log_in, picture_loaded, shot, wait

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

pytestmark = [pytest.mark.django_db(transaction=True), needs_chromium]


@pytest.fixture(scope="module")
def driver():
    browser = start_chromium(1300, 1100)
    yield browser
    browser.quit()


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_examples_training_round_then_measured_round(driver, live_server, catalogue, media_root):
    classes = {c.index: c for c in catalogue.values()}
    val, train = Dataset.objects.create(name="val"), Dataset.objects.create(name="train")
    measured = make_image(val, classes[207], files=True)
    training_image = make_image(train, classes[1], files=True)  # first by content hash
    make_image(train, classes[0], files=True)  # the one example of tench
    ann = staff("ann")
    services.save_guide(classes[0], "Olive-green, with a thick body.", ann)
    services.start_session("ann-1", ann, val, examples=train, training_size=1)

    log_in(driver, live_server, "ann", "/review/human/ann-1/")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".human").get_attribute("data-ready"))
    wait(driver, picture_loaded)
    assert text(driver, "training-note").startswith("Training round")
    driver.execute_script("window.sameDocument = true")

    # Examples of any class, in the page: search "tench", open it, enlarge its example.
    driver.find_element(By.CSS_SELECTOR, "#examples-panel > summary").click()
    driver.find_element(By.ID, "example-search").send_keys("tench")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#example-results li.active"))
    driver.find_element(By.ID, "example-search").send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "example-name").text == "tench")
    assert text(driver, "example-guide") == "Olive-green, with a thick body."
    thumbs = driver.find_elements(By.CSS_SELECTOR, "#example-grid img.thumb")
    assert len(thumbs) == 1
    thumbs[0].click()
    wait(
        driver,
        lambda d: d.execute_script(
            "const i = document.getElementById('example-large');"
            "return !i.hidden && i.complete && i.naturalWidth > 0"
        ),
    )
    shot(driver, "human-examples")
    assert driver.execute_script("return window.sameDocument === true")  # no reload

    # The training round: a wrong pick is answered at once with the correct label.
    search = driver.find_element(By.ID, "class-search")
    search.click()
    search.send_keys("tench")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.active"))
    search.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "feedback").is_displayed())
    assert text(driver, "feedback-verdict") == "Wrong: you picked tench"
    assert text(driver, "feedback-correct") == "goldfish"
    assert driver.execute_script("return window.sameDocument === true")
    shot(driver, "human-training-feedback")
    stored = HumanPick.objects.get()
    assert (stored.image, stored.label, stored.training) == (training_image, classes[0], True)
    assert driver.switch_to.active_element.get_attribute("id") == "feedback-next"
    assert "measured round" in driver.switch_to.active_element.text

    # Enter moves on to the measured round: no feedback, picks scored.
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "measured-note"))
    assert "0 of 1 right" in text(driver, "measured-note")
    assert text(driver, "progress") == "0 / 1"
    assert not driver.find_elements(By.ID, "feedback")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".human").get_attribute("data-ready"))
    search = driver.find_element(By.ID, "class-search")
    search.send_keys("golden")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.active"))
    search.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "session-done"))
    pick = HumanPick.objects.get(training=False)
    assert (pick.image, pick.label) == (measured, classes[207]) and pick.duration_ms > 0
    shot(driver, "human-measured-done")
