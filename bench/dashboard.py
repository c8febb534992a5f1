"""Dashboard render time of a simulated 10,000-image campaign (every stage's output, 10
models' predictions), through Django's test client as a logged-in researcher.

Times cold renders (the cache cleared before each: analyses computed, the page's charts drawn,
galleries queried; the median of --cold renders, the first of them the process's first) and
warm renders (chart renders cached, keyed by the campaign's latest StageRun), and, as the
baseline in the same run, the cost of computing the analyses and drawing every chart (the
per-model confusion matrices too) with no cache. The simulated campaign is deleted at the end.

Run: `DATABASE_URL=postgres://... .venv/bin/python bench/dashboard.py [--images 10000]
[--models 10] [--repeats 5] [--cold 3]`. Last line:
dashboard_ms=... cold_ms=... cold_max_ms=... charts_uncached_ms=... ratio_cold_vs_warm=...
images=... (one line).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5, help="warm renders")
    parser.add_argument("--cold", type=int, default=3, help="cold renders")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from catalogue.models import LabelClass
    from dashboard import charts as ch
    from dashboard.analyses import compute
    from dashboard.figure_data import analysis_version
    from dashboard.gc_pause import gc_paused
    from simulation.sample_campaign import build_sample_campaign

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if LabelClass.objects.count() < 1000:
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)
    t0 = time.perf_counter()
    campaign = build_sample_campaign(args.images, n_models=args.models, seed=1)
    print(f"built a {args.images}-image campaign in {time.perf_counter() - t0:.1f} s", flush=True)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-dashboard", defaults={"is_staff": True}
    )
    client = Client()
    client.force_login(user)
    url = reverse("dashboard", args=[campaign.pk])
    try:

        def render_ms() -> float:
            start = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return 1000 * (time.perf_counter() - start)

        colds = []
        for _ in range(args.cold):
            cache.clear()
            colds.append(render_ms())
        cold = statistics.median(colds)
        warm = [render_ms() for _ in range(args.repeats)]
        # Baseline: compute the analyses and draw every chart, nothing cached.
        start = time.perf_counter()
        with gc_paused():
            an = compute(campaign, analysis_version(campaign))
            charts = ch.build_charts(an)
            for chart in charts.values():
                ch._render_figure(chart, "svg")
        uncached = 1000 * (time.perf_counter() - start)
        warm_ms = statistics.median(warm)
        print(f"charts: {len(charts)}; cold renders (ms): {[round(c) for c in colds]}")
        print(f"warm renders (ms): {[round(w) for w in warm]}")
        print(
            f"dashboard_ms={warm_ms:.0f} cold_ms={cold:.0f} cold_max_ms={max(colds):.0f} "
            f"charts_uncached_ms={uncached:.0f} "
            f"ratio_cold_vs_warm={cold / warm_ms:.1f} images={args.images}"
        )
    finally:
        dataset = campaign.dataset
        campaign.delete()
        dataset.delete()


if __name__ == "__main__":
    main()
