"""Paper-scale CONTAINS campaign: quality control, selection frequencies, candidate sets and
inclusion on 10,000 images.

Run: `.venv/bin/python bench/contains.py [--images 10000] [--reuse]`.

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres:postgres@127.0.0.1:5432/finelabel_bench_contains), creates it, migrates
it and loads the class catalogue when missing. Setup (not timed): 10,000 images over the
1,000 classes, about 14 potential labels each (the dataset label, neighbours by class index
as an ensemble's confusions would be, a few far ones), the grids built by the real stage, and
9 answers per grid written by the crowd simulator's answer model (10% spammers, COPY for the
selections). The answers are written straight to the database
(simulation.contains_crowd), not posted to the HIT endpoints as the demo's crowd does
(simulation.http_crowd): some 33,000 answers through the endpoints would take minutes, far
longer than the stages measured here. --reuse keeps the campaign of an earlier run instead
(its tables then carry the dead rows of earlier runs, which slows every stage down).

Timed: the four stages as the `contains` command runs them. Baseline in the same run: the
same selection frequencies counted by a Python loop over the selection rows (what the
GROUP BY avoids); its ratio is printed. Target: the four stages under 30 s on 2 cores.
The last line: `qc_s=... sf_s=... candidates_s=... inclusion_s=... total_s=...`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres:postgres@127.0.0.1:5432/finelabel_bench_contains"


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def setup_django() -> None:
    # never the application's own database: the bench deletes and rewrites its campaign
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from catalogue.models import LabelClass

    call_command("migrate", verbosity=0)
    if not LabelClass.objects.exclude(hypernym_distances={}).exists():
        print("loading the class catalogue (once)...", flush=True)
        call_command("load_imagenet_classes", verbosity=0)


def timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s", flush=True)
    return result, seconds


def make_campaign(n_images: int, seed: int):
    """Images, potential labels, grids and simulated answers; returns the campaign."""
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Dataset, Image, LabelClass
    from pipeline.models import Campaign, PotentialLabel
    from pipeline.stages.bulk import insert_rows
    from pipeline.stages.grids import build_grids
    from simulation.contains_crowd import simulate_contains

    rng = random.Random(seed)
    name = f"bench-contains-{n_images}"
    Campaign.objects.filter(name=name).delete()
    Dataset.objects.filter(name=name).delete()
    dataset = Dataset.objects.create(name=name)
    campaign = Campaign.objects.create(name=name, dataset=dataset, seed=seed)
    classes = list(LabelClass.objects.order_by("index").values_list("pk", flat=True))
    now = timezone.now()
    rows = [
        (
            dataset.pk,
            f"b{seed}-{i:07d}",
            f"bench/{i}.jpg",
            classes[i % len(classes)],
            f"k{i}",
            f"t{i}",
            f"k{i}",  # worker_key: the bench's pictures carry no metadata
            f"{i:064x}",
            500,
            375,
            1000,
            now,
        )
        for i in range(n_images)
    ]
    cols = (
        "dataset_id",
        "public_id",
        "source",
        "label_id",
        "storage_key",
        "thumbnail_key",
        "worker_key",
        "sha256",
        "width",
        "height",
        "file_size",
        "imported_at",
    )
    insert_rows(Image, cols, rows)
    images = list(Image.objects.filter(dataset=dataset).values_list("pk", "label_id"))
    index = {pk: i for i, pk in enumerate(classes)}

    def potential(label: int) -> set[int]:
        k = rng.randint(10, 17)  # ~14 on average, the dataset label included
        labels = {label}
        while len(labels) < k:
            if rng.random() < 0.8:  # a neighbour: ensembles confuse similar classes
                near = index[label] + rng.randint(-25, 25)
                labels.add(classes[min(max(near, 0), len(classes) - 1)])
            else:
                labels.add(rng.choice(classes))
        return labels

    plrows = (
        (campaign.pk, image, label, label == own, 0)
        for image, own in images
        for label in potential(own)
    )
    insert_rows(
        PotentialLabel,
        ("campaign_id", "image_id", "label_id", "is_dataset_label", "model_count"),
        plrows,
    )
    n_pairs = PotentialLabel.objects.filter(campaign=campaign).count()
    print(f"{n_images} images, {n_pairs} potential labels ({n_pairs / n_images:.1f} per image)")
    grids, _ = timed("setup: build grids", build_grids, campaign)
    print(f"  {grids.grids} grids (paper: 3,934 for 10,000 images)")
    sim, _ = timed(
        "setup: simulate answers",
        simulate_contains,
        campaign,
        0.1,
        seed,
        extra_true_rate=0.08,
        mislabeled_rate=0.015,
    )
    print(f"  {sim.answers} answers, {sim.selections} selections, {sim.workers} workers")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return campaign


def baseline_frequencies(campaign) -> int:
    """The loop the GROUP BY replaces: every selection row of the campaign through Python."""
    from crowd.models import ContainsAnswer, ContainsSelection, GridItem, QcStatus

    kept = dict(
        ContainsAnswer.objects.filter(grid__campaign=campaign, qc_status=QcStatus.KEPT)
        .values_list("pk", "grid_id")
        .iterator(chunk_size=20_000)
    )
    answers = Counter(kept.values())
    item_pair = {}
    items = GridItem.objects.filter(grid__campaign=campaign, is_control=False).values_list(
        "pk", "image_id", "grid__query_id", "grid_id"
    )
    for pk, image, query, grid in items.iterator(chunk_size=20_000):
        item_pair[pk] = (image, query, grid)
    selected: Counter = Counter()
    rows = ContainsSelection.objects.filter(answer__grid__campaign=campaign).values_list(
        "answer_id", "item_id"
    )
    for answer, item in rows.iterator(chunk_size=20_000):
        if answer in kept and item in item_pair:
            selected[item] += 1
    pairs = {
        (image, query): (selected[pk], answers[grid])
        for pk, (image, query, grid) in item_pair.items()
    }
    return len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the campaign of an earlier run (faster setup)"
    )
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from crowd.models import ContainsAnswer
    from pipeline.models import Campaign, CandidateLabel, ImageInclusion, SelectionFrequency
    from pipeline.stages.candidates import compute_candidates
    from pipeline.stages.contains_qc import run_qc
    from pipeline.stages.inclusion import compute_inclusion
    from pipeline.stages.selection_frequencies import compute_frequencies, count_pairs

    name = f"bench-contains-{args.images}"
    campaign = Campaign.objects.filter(name=name, seed=args.seed).first()
    if (
        not args.reuse
        or campaign is None
        or not ContainsAnswer.objects.filter(grid__campaign=campaign).exists()
    ):
        campaign = make_campaign(args.images, args.seed)
    else:
        print(f"reusing campaign {name}")
    # every stage starts from fresh answers, as after a crowd run: none judged, no output
    ContainsAnswer.objects.filter(grid__campaign=campaign).update(qc_status="pending", qc_reason="")
    for model in (SelectionFrequency, CandidateLabel, ImageInclusion):
        model.objects.filter(campaign=campaign).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    qc, qc_s = timed("quality control", run_qc, campaign)
    print(f"  {qc.answers} answers: {qc.counts}, {qc.dropped_workers} workers dropped")
    sf, sf_s = timed("selection frequencies", compute_frequencies, campaign)
    print(f"  {sf.pairs} pairs, {sf.pairs_without_answers} without a kept answer")
    cands, cand_s = timed("candidate sets", compute_candidates, campaign)
    print(f"  {cands.candidates} candidates, sizes {cands.sizes}, truncated {cands.truncated}")
    incl, incl_s = timed("inclusion", compute_inclusion, campaign)
    print(f"  {incl.counts} (paper: 6,761 follow-up, 2,923 easy, 150 mislabeled, 166 ambiguous)")
    counted, count_s = timed(
        "selection frequencies, counting only (no storing)", count_pairs, campaign
    )
    pairs, base_s = timed(
        "baseline: counting by a Python loop over the selections", baseline_frequencies, campaign
    )
    assert pairs == len(counted) == sf.pairs, (pairs, len(counted), sf.pairs)
    print(
        f"  counting: GROUP BY {base_s / count_s:.1f}x as fast as the Python loop; storing the "
        f"{sf.pairs} rows (indexes, foreign keys) takes the rest of the stage"
    )
    total = qc_s + sf_s + cand_s + incl_s
    load = os.getloadavg()[0]
    print(
        f"four stages: {total:.2f} s (target 30 s); load average {load:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"qc_s={qc_s:.2f} sf_s={sf_s:.2f} candidates_s={cand_s:.2f} "
        f"inclusion_s={incl_s:.2f} total_s={total:.2f}"
    )


if __name__ == "__main__":
    main()
