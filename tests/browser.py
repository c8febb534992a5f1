"""Headless Chromium for the page tests: Debian's chromium and chromedriver, started the same
way by every test that drives a page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Chromium and chromedriver are not installed (make test installs them)",
)


def start_chromium(width: int = 1300, height: int = 1000, console_log: bool = False):
    """A headless Chromium under Selenium; `console_log` keeps the page's console messages
    for `driver.get_log("browser")`."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def artifacts(folder: str) -> Path:
    """test-artifacts/<folder>, created: where screenshots are kept."""
    path = ARTIFACTS / folder
    path.mkdir(parents=True, exist_ok=True)
    return path
