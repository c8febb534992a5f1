"""The review and human-accuracy screens in headless Chromium, operated by keyboard: a panel
of two reviewers disagrees, discusses and agrees; a labeller picks classes by search and by
the WordNet tree. Screenshots go to test-artifacts/review/."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.models import Dataset
from review.models import (
    ClassGuide,
    HumanPick,
    HumanSession,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)
from review.truth import import_label_lists
from tests.browser import needs_chromium, start_chromium
from tests.crowd.factories import make_image
from tests.review.factories import staff

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"
PASSWORD = "pw-review-1"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture(scope="module")
def driver():
    browser = start_chromium(1300, 1100)
    yield browser
    browser.quit()


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def keys(driver, *sequence) -> None:
    chain = ActionChains(driver)
    for key in sequence:
        chain.send_keys(key)
    chain.perform()


def log_in(driver, live_server, username: str, next_path: str) -> None:
    """Through the admin's login form, by keyboard."""
    driver.delete_all_cookies()
    driver.get(f"{live_server.url}/admin/login/?next={next_path}")
    driver.find_element(By.ID, "id_username").send_keys(username, Keys.TAB, PASSWORD, Keys.ENTER)
    wait(driver, lambda d: "/admin/login" not in d.current_url)


def picture_loaded(driver) -> bool:
    return driver.execute_script(
        "const i = document.querySelector('.photo'); return i.complete && i.naturalWidth > 0"
    )


@pytest.fixture
def panel_item(catalogue, media_root):
    """A goldfish image whose labels (goldfish) are known, wrongly predicted 'tench', with an
    example image of tench."""
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    image = make_image(dataset, classes[1], files=True)
    example = make_image(dataset, classes[0], files=True)
    import_label_lists(
        dataset,
        {image.public_id: [1], example.public_id: [0]},
        "lab-labels",
        exhaustive=False,
    )
    item = ReviewItem.objects.create(
        image=image, label=classes[0], score=0.734, models_predicting=["resnet50"]
    )
    return item, example


def test_panel_review_by_keyboard(driver, live_server, panel_item, settings):
    settings.FINELABEL_REVIEW_PANEL_SIZE = 2  # a panel of two (the default is five)
    item, example = panel_item
    staff("ann"), staff("bob")

    # Ann: incorrect (i), major (m), category 2 (fine-grained, out-of-vocabulary object),
    # then p and 2 flag the image as a drawing; a guide note; Enter votes.
    log_in(driver, live_server, "ann", "/review/next/")
    wait(driver, lambda d: d.find_elements(By.ID, "vote-form"))
    wait(driver, picture_loaded)
    assert driver.find_element(By.ID, "predicted").text == "tench"
    assert "0.734" in driver.find_element(By.CSS_SELECTOR, ".score").text
    assert "goldfish" in driver.find_element(By.ID, "correct-labels").text
    examples = driver.find_elements(By.CSS_SELECTOR, ".example-grid img")
    assert len(examples) == 1
    keys(driver, "+", "+")
    assert driver.find_element(By.CSS_SELECTOR, ".zoom-level").text == "200%"
    keys(driver, "0", "i", "m", "2", "p", "2", Keys.ESCAPE)
    keys(driver, "g", "Tench are olive-green; goldfish are orange.", Keys.ESCAPE)
    driver.find_element(By.ID, "guide-save").send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "guide-status").text == "saved")
    assert driver.find_element(By.CSS_SELECTOR, "input[value=fine_grained_oov]").is_selected()
    assert driver.find_element(By.CSS_SELECTOR, "input[value=drawing]").is_selected()
    shot(driver, "review-item-ann")
    driver.find_element(By.TAG_NAME, "body").click()
    keys(driver, Keys.ENTER)
    wait(driver, lambda d: "/review/" in d.current_url and "item" not in d.current_url)
    assert "queue is empty" in driver.page_source
    vote = ReviewVote.objects.get(reviewer__username="ann")
    assert (vote.verdict, vote.severity, vote.category) == (
        "incorrect",
        "major",
        "fine_grained_oov",
    )
    assert vote.duration_ms and vote.duration_ms > 0
    assert ProblemFlag.objects.get().kind == "drawing"
    assert ClassGuide.objects.get(label=item.label).notes.startswith("Tench are olive-green")

    # Bob: correct (c), Enter. One vote each: a tie, unclear, into the discussion queue.
    log_in(driver, live_server, "bob", "/review/next/")
    wait(driver, lambda d: d.find_elements(By.ID, "vote-form"))
    assert "Tench are olive-green" in driver.find_element(By.ID, "guide-notes").get_attribute(
        "value"
    )
    assert not driver.find_elements(By.ID, "votes")  # independent: no votes shown yet
    keys(driver, "c", Keys.ENTER)
    wait(driver, lambda d: "item" not in d.current_url)
    item.refresh_from_db()
    assert (item.state, item.decision) == ("discussion", "unclear")

    # Bob opens the discussion, reads Ann's vote and changes his own: incorrect, major, 2.
    driver.get(f"{live_server.url}/review/discussion/")
    driver.find_element(By.CSS_SELECTOR, "a.discuss").send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "votes"))
    votes_text = driver.find_element(By.ID, "votes").text
    assert "ann: Incorrect, Major" in votes_text and "bob: Correct" in votes_text
    assert driver.find_element(By.CSS_SELECTOR, "input[value=correct]").is_selected()
    shot(driver, "review-discussion-bob")
    keys(driver, "i", "m", "2", Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "discussion-empty"))
    item.refresh_from_db()
    assert (item.state, item.decision, item.severity, item.category) == (
        "decided",
        "incorrect",
        "major",
        "fine_grained_oov",
    )
    assert ReviewVote.objects.filter(item=item).count() == 3  # Bob's first vote is kept
    assert ReviewVote.objects.filter(reviewer__username="bob", superseded=True).count() == 1
    assert TruthLabel.objects.get(truth_set__name="expert", image=item.image).status == "wrong"
    shot(driver, "review-discussion-empty")


def test_human_accuracy_by_keyboard(driver, live_server, catalogue, media_root):
    classes = {c.index: c for c in catalogue.values()}
    dataset = Dataset.objects.create(name="val")
    images = [
        make_image(dataset, classes[207], files=True),
        make_image(dataset, classes[1], files=True),
    ]
    ann = staff("ann")
    HumanSession.objects.create(name="ann-1", labeller=ann, dataset=dataset)

    log_in(driver, live_server, "ann", "/review/human/ann-1/")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".human").get_attribute("data-ready"))
    wait(driver, picture_loaded)
    search = driver.find_element(By.ID, "class-search")
    assert driver.switch_to.active_element == search
    # Search over names and synonyms: "retriever" lists the retrievers; move down to one.
    search.send_keys("golden")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li"))
    first = driver.find_element(By.CSS_SELECTOR, "#results li.active").text
    assert first.startswith("golden retriever")
    shot(driver, "human-search")
    search.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "progress").text == "1 / 2")
    pick = HumanPick.objects.get(image=images[0])
    assert pick.label == classes[207] and pick.duration_ms > 0

    # The second image through the WordNet tree, by keyboard: open the panel, walk down
    # entity > ... > goldfish with Enter on each node.
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".human").get_attribute("data-ready"))
    path = classes[1].hypernym_path
    summary = driver.find_element(By.CSS_SELECTOR, "#hierarchy-panel > summary")
    summary.send_keys(Keys.ENTER)
    tree = driver.find_element(By.ID, "hierarchy")
    names = driver.execute_script(
        "return fetch('/review/classes.json').then(r => r.json()).then(d => d.nodes)"
    )
    for wnid in path[:-1]:
        label = names[wnid][0]
        node = wait(
            driver,
            lambda d, label=label: next(
                (
                    s
                    for s in tree.find_elements(By.CSS_SELECTOR, "summary")
                    if s.text.startswith(label + " (") and s.is_displayed()
                ),
                None,
            ),
        )
        node.send_keys(Keys.ENTER)
    leaf = wait(
        driver,
        lambda d: next(
            (
                b
                for b in tree.find_elements(By.CSS_SELECTOR, "button.pick-class")
                if b.text == "goldfish" and b.is_displayed()
            ),
            None,
        ),
    )
    shot(driver, "human-hierarchy")
    leaf.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "session-done"))
    pick = HumanPick.objects.get(image=images[1])
    assert pick.label == classes[1] and pick.duration_ms > 0
    shot(driver, "human-done")
