"""The CONTAINS grid page in Chromium, served as in production (granian, whitenoise).

Builds a campaign with one grid of 48 photo-sized pictures (256 px JPEG thumbnails made by the
import's own code) in the database named by DATABASE_URL, starts the web service
(config/serve.py) on localhost, and loads the page in headless Chromium with the browser
cache off. Figures come from the
Navigation and Resource Timing APIs: bytes transferred (page, CSS, JS, 48 thumbnails) and the
time to the load event, best and median of several loads after a warm-up. The baseline, in
the same run, is the same grid showing the full-size pictures instead of thumbnails (what the
page would weigh without them).

Run: `DATABASE_URL=postgres://.../scratch .venv/bin/python bench/hit_page.py [--loads 7]` (a
scratch PostgreSQL database; Chromium and its driver, which `make test` installs). Last line:
page_bytes=... load_ms=... median_load_ms=... full_bytes=... bytes_ratio_vs_full=...
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TIMING_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
return {bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        load_ms: nav.loadEventEnd - nav.startTime,
        images: res.filter(r => r.initiatorType === 'img').length,
        image_bytes: res.filter(r => r.initiatorType === 'img')
          .reduce((s, r) => s + r.transferSize, 0)};
"""
# Swap every thumbnail for its full-size picture and report the bytes once all have loaded.
FULL_JS = """
const done = arguments[arguments.length - 1];
performance.clearResourceTimings();
const imgs = Array.from(document.querySelectorAll('.pick img'));
let left = imgs.length;
imgs.forEach(i => { i.onload = i.onerror = () => { if (--left === 0) {
  const res = performance.getEntriesByType('resource');
  done(res.reduce((s, r) => s + r.transferSize, 0)); } };
  i.src = i.closest('.pick').dataset.full; });
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_grid() -> str:
    import django

    django.setup()
    from django.core.management import call_command

    from tests.crowd.factories import make_campaign, make_grid, publish

    call_command("migrate", verbosity=0)
    grid = make_grid(make_campaign(), files=True)
    publish(grid, f"H{grid.public_id}")  # the page shows its pictures only for a HIT of the task
    return grid.public_id


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def browser():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--window-size=1300,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(
        service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options
    )
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def measure(driver, url: str, loads: int) -> list[dict]:
    runs = []
    for _ in range(loads + 1):  # the first load warms the server up
        driver.get(url)
        for _ in range(200):
            if driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return n && n.loadEventEnd > 0"
            ):
                break
            time.sleep(0.05)
        runs.append(driver.execute_script(TIMING_JS))
    assert all(r["images"] == 48 for r in runs), "not every thumbnail loaded"
    return runs[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL to a scratch PostgreSQL database.")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FINELABEL_MEDIA_ROOT"] = str(Path(tmp) / "media")
        public_id = build_grid()
        port = free_port()
        server = start_server(port)
        driver = browser()
        try:
            url = (
                f"http://127.0.0.1:{port}/hit/contains/{public_id}/?assignmentId=A1"
                f"&workerId=W1&hitId=H{public_id}&turkSubmitTo=https%3A%2F%2Fwww.mturk.com"
            )
            runs = sorted(measure(driver, url, args.loads), key=lambda r: r["load_ms"])
            driver.set_script_timeout(60)
            full_images = driver.execute_async_script(FULL_JS)
        finally:
            driver.quit()
            server.terminate()
            server.wait(10)
    best, median = runs[0], runs[len(runs) // 2]
    print(f"grid page, 48 thumbnails, {args.loads} cold-cache loads on localhost (granian)")
    print(
        f"transferred: {best['bytes'] / 1024:.0f} KiB; load event: best {best['load_ms']:.0f} ms,"
        f" median {median['load_ms']:.0f} ms"
    )
    full = best["bytes"] - best["image_bytes"] + full_images
    print(f"baseline, full-size pictures in the grid: about {full / 1024:.0f} KiB")
    print(
        f"page_bytes={best['bytes']} load_ms={best['load_ms']:.0f} "
        f"median_load_ms={median['load_ms']:.0f} full_bytes={full} "
        f"bytes_ratio_vs_full={best['bytes'] / full:.3f}"
    )


if __name__ == "__main__":
    main()
