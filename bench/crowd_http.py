"""The simulated crowd through the HIT endpoints: CONTAINS answers per second in process
(Django's handler, no socket) and over HTTP against gunicorn, against the direct database
writer as the baseline.

Run: `.venv/bin/python bench/crowd_http.py [--images 240] [--threads 4] [--gunicorn-workers 2]`.

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres:postgres@127.0.0.1:5432/finelabel_bench_crowd), created and migrated when
missing. Setup (not timed): a campaign of `--images` images over 12 classes, 3 potential
labels each, and its grids. Timed, each on freshly emptied answers: the direct writer
(simulation.contains_crowd), the in-process endpoints and HTTP with `--threads` keep-alive
connections to gunicorn (`--gunicorn-workers` sync workers), every answer a page GET and a
submit POST. Last line: `answers=... direct_per_s=... inprocess_per_s=... http_per_s=...
inprocess_vs_direct=... http_vs_direct=...`.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.contains import ensure_database

DEFAULT_DB = "postgres://postgres:postgres@127.0.0.1:5432/finelabel_bench_crowd"


def setup_django() -> None:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from catalogue.models import LabelClass

    call_command("migrate", verbosity=0)
    if not LabelClass.objects.exists():
        print("loading the class catalogue (once)...", flush=True)
        call_command("load_imagenet_classes", verbosity=0)


def make_campaign(n_images: int):
    from catalogue.models import Dataset, Image, LabelClass
    from pipeline.models import Campaign, PotentialLabel
    from pipeline.stages.grids import build_grids

    name = "bench-crowd"
    Campaign.objects.filter(name=name).delete()
    Dataset.objects.filter(name=name).delete()
    dataset = Dataset.objects.create(name=name)
    campaign = Campaign.objects.create(name=name, dataset=dataset, seed=1)
    classes = list(LabelClass.objects.order_by("index")[:12])
    rng = random.Random(1)
    for i in range(n_images):
        label = classes[i % len(classes)]
        image = Image.objects.create(
            dataset=dataset,
            source=f"bench/{i}.jpg",
            label=label,
            storage_key=f"k{i}",
            thumbnail_key=f"t{i}",
            sha256=f"{i:064x}",
            width=500,
            height=375,
            file_size=1000,
        )
        others = rng.sample([c for c in classes if c != label], 2)
        for other in [label, *others]:
            PotentialLabel.objects.create(
                campaign=campaign, image=image, label=other, is_dataset_label=other == label
            )
    build_grids(campaign)
    return campaign


def clear_answers(campaign) -> None:
    from crowd.models import Assignment

    Assignment.objects.filter(campaign=campaign).delete()


def timed(campaign, fn, **kwargs) -> tuple[int, float]:
    clear_answers(campaign)
    started = time.perf_counter()
    result = fn(campaign, seed=3, **kwargs)
    return result.answers, time.perf_counter() - started


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"), "config.wsgi",
        "-b", f"127.0.0.1:{port}", "-w", str(workers), "--keep-alive", "30",
        "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy())
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=240)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    setup_django()
    from simulation.contains_crowd import simulate_contains
    from simulation.http_crowd import Http, InProcess, crowd_contains

    campaign = make_campaign(args.images)
    n, direct_s = timed(campaign, simulate_contains)
    print(f"direct writer: {n} answers in {direct_s:.2f} s", flush=True)
    n_in, inproc_s = timed(campaign, crowd_contains, transport=InProcess())
    print(f"in process: {n_in} answers in {inproc_s:.2f} s", flush=True)
    server = start_gunicorn(args.port, args.gunicorn_workers)
    try:
        http = Http(f"http://127.0.0.1:{args.port}")
        n_http, http_s = timed(campaign, crowd_contains, transport=http, threads=args.threads)
    finally:
        server.terminate()
        server.wait(10)
    print(f"HTTP ({args.threads} threads): {n_http} answers in {http_s:.2f} s", flush=True)
    assert n == n_in == n_http, (n, n_in, n_http)
    rates = {name: n / s for name, s in (("d", direct_s), ("i", inproc_s), ("h", http_s))}
    print(
        f"answers={n} direct_per_s={rates['d']:.0f} inprocess_per_s={rates['i']:.0f} "
        f"http_per_s={rates['h']:.0f} inprocess_vs_direct={rates['i'] / rates['d']:.3f} "
        f"http_vs_direct={rates['h'] / rates['d']:.3f}"
    )


if __name__ == "__main__":
    main()
