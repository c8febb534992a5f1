"""Streamed label export: speed, time to first byte and memory as the dataset grows.

Generates campaigns of 5,000 and 50,000 images (kept between runs under the names
bench-export-<n>; --fresh rebuilds them) with the pipeline data of a finished campaign: one
prediction, 4 potential labels, 4 selection frequencies and 3 candidates per image, final labels
with one or two objects for 70% of them. Each export runs in a child process, as the API serves
it (bytes in blocks), into a counting sink: twice untraced (the better run counts: the machine
may be shared) for rows/s, time to first byte and the exporting process's own CPU time (the
database server's share is in the wall time only), then once under tracemalloc for the peak of
Python allocations; the child's peak RSS comes with it.
The baseline is the non-streamed way, every record read into one list and serialized at once,
measured the same way on the same data.

Run: `DATABASE_URL=postgres://... .venv/bin/python bench/export.py [--sizes 5000,50000]
[--fresh]`. Last line:
rows_per_s=... peak_mb=... jsonl_s=... csv_s=... first_byte_ms=... peak_rss_mb_5k=...
peak_rss_mb_50k=... peak_mb_5k=... peak_mb_50k=... baseline_peak_mb_50k=... jsonl_cpu_s=...
load=... (the 1-minute load average at the end)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 2
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def setup() -> None:
    import django

    django.setup()


def generate(count: int, fresh: bool) -> int:
    """A campaign over `count` generated images; returns its id."""
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from catalogue.models import Dataset, Image, LabelClass
    from pipeline.models import Campaign

    name = f"bench-export-{count}"
    existing = Campaign.objects.filter(name=name).first()
    if existing and not fresh and existing.dataset.images.count() == count:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return existing.pk
    if existing:
        dataset = existing.dataset
        existing.delete()
        dataset.delete()
    if LabelClass.objects.count() < 1000:
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)
    classes = list(LabelClass.objects.order_by("index").values_list("id", flat=True))
    rng = np.random.default_rng(count)
    batch = 5000
    with transaction.atomic():
        dataset = Dataset.objects.create(name=name)
        campaign = Campaign.objects.create(name=name, dataset=dataset, state="done")
        for start in range(0, count, batch):
            n = min(batch, count - start)
            labels = rng.choice(classes, size=(n, 4))
            images = Image.objects.bulk_create(
                Image(
                    dataset=dataset,
                    source=f"/bench/{name}/ILSVRC2012_val_{start + i:08d}.JPEG",
                    label_id=int(labels[i, 0]),
                    storage_key=f"{name}/{start + i}",
                    thumbnail_key=f"{name}/t{start + i}",
                    sha256=f"{start + i:064d}",
                    width=500,
                    height=375,
                    file_size=100_000,
                )
                for i in range(n)
            )
            _pipeline_rows(campaign, images, labels, rng)
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give later
        cursor.execute("ANALYZE")
    return campaign.pk


def _pipeline_rows(campaign, images, labels, rng) -> None:
    from pipeline.models import (
        CandidateLabel,
        ImageInclusion,
        ImageLabels,
        ImageObject,
        ImageObjectLabel,
        ModelPrediction,
        PotentialLabel,
        SelectionFrequency,
    )

    predictions, potential, frequencies, candidates, inclusions, finals = [], [], [], [], [], []
    for image, row in zip(images, labels, strict=True):
        ids = [int(x) for x in dict.fromkeys(row)]
        predictions.append(
            ModelPrediction(
                image=image,
                model_name="resnet50.a1_in1k",
                weights="random",
                random_weights=True,
                labels=ids,
                probabilities=[0.4, 0.3, 0.2, 0.1][: len(ids)],
            )
        )
        for rank, label in enumerate(ids):
            selected = int(rng.integers(0, 10))
            potential.append(
                PotentialLabel(
                    campaign=campaign,
                    image=image,
                    label_id=label,
                    is_dataset_label=rank == 0,
                    model_count=1,
                )
            )
            frequencies.append(
                SelectionFrequency(
                    campaign=campaign,
                    image=image,
                    label_id=label,
                    selected=selected,
                    answers=9,
                    frequency=selected / 9,
                )
            )
            if rank < 3:
                candidates.append(
                    CandidateLabel(
                        campaign=campaign, image=image, label_id=label, rule=1, rank=rank
                    )
                )
        follow_up = rng.random() < 0.7
        inclusions.append(
            ImageInclusion(
                campaign=campaign, image=image, category="follow_up" if follow_up else "easy"
            )
        )
        if follow_up:
            finals.append((image, ids, 1 + int(rng.random() < 0.3)))
    ModelPrediction.objects.bulk_create(predictions)
    PotentialLabel.objects.bulk_create(potential)
    SelectionFrequency.objects.bulk_create(frequencies)
    CandidateLabel.objects.bulk_create(candidates)
    ImageInclusion.objects.bulk_create(inclusions)
    labels_rows = ImageLabels.objects.bulk_create(
        ImageLabels(
            campaign=campaign,
            image=image,
            main_label_id=ids[0],
            num_objects=objects,
            main_object=0,
            dataset_object=0,
            answers=9,
        )
        for image, ids, objects in finals
    )
    objects = ImageObject.objects.bulk_create(
        ImageObject(image_labels=row, index=k, label_id=ids[k])
        for row, (_, ids, count) in zip(labels_rows, finals, strict=True)
        for k in range(min(count, len(ids)))
    )
    ImageObjectLabel.objects.bulk_create(
        ImageObjectLabel(object=obj, label_id=obj.label_id, share=1.0, selection_frequency=0.8)
        for obj in objects
    )


class Sink:
    """Counts bytes and notes when the first block arrived."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.bytes = 0
        self.first_byte_s: float | None = None

    def write(self, block: bytes) -> None:
        if self.first_byte_s is None:
            self.first_byte_s = time.perf_counter() - self.started
        self.bytes += len(block)


def run_export(campaign_id: int, fmt: str, baseline: bool) -> Sink:
    from pipeline import exports
    from pipeline.models import Campaign

    started = time.perf_counter()
    sink = Sink(started)
    campaign = Campaign.objects.select_related("dataset").get(pk=campaign_id)
    if baseline:  # everything in memory, then written
        records = list(exports.records_for(campaign, fmt, chunk_size=10**9))
        text = "".join(exports.export_stream(campaign, fmt, records=records))
        sink.write(text.encode())
    else:
        for block in exports.batched(exports.export_stream(campaign, fmt)):
            sink.write(block)
    return sink


def measure(campaign_id: int, fmt: str, baseline: bool) -> dict:
    """In a child process: one untraced run (speed), one traced run (Python peak)."""
    setup()
    from pipeline import exports
    from pipeline.models import Campaign

    rows = exports.row_count(Campaign.objects.get(pk=campaign_id), fmt)
    best = None
    for _ in range(REPEAT):  # the best of a few: the machine may be shared
        started, cpu = time.perf_counter(), time.process_time()
        sink = run_export(campaign_id, fmt, baseline)
        run = (time.perf_counter() - started, time.process_time() - cpu, sink)
        best = min(best or run, run, key=lambda r: r[0])
    seconds, cpu_s, sink = best
    tracemalloc.start()
    run_export(campaign_id, fmt, baseline)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "first_byte_ms": 1000 * sink.first_byte_s,
        "bytes": sink.bytes,
        "peak_mb": peak / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(campaign_id: int, fmt: str, baseline: bool) -> dict:
    command = [sys.executable, __file__, "--measure", str(campaign_id), fmt]
    if baseline:
        command.append("--baseline")
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"measuring {fmt} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,50000", help="image counts, comma-separated")
    parser.add_argument("--fresh", action="store_true", help="regenerate the bench data")
    parser.add_argument("--measure", nargs=2, metavar=("CAMPAIGN", "FORMAT"), help="internal")
    parser.add_argument("--baseline", action="store_true", help="internal")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(int(args.measure[0]), args.measure[1], args.baseline)))
        return
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[tuple[int, str], dict] = {}
    for size in sizes:
        started = time.perf_counter()
        campaign_id = generate(size, args.fresh)
        print(f"data {size}: ready in {time.perf_counter() - started:.1f} s", flush=True)
        for fmt in ("jsonl", "csv", "json", "imagenet-multilabel"):
            r = results[size, fmt] = child(campaign_id, fmt, baseline=False)
            print(
                f"{fmt:>19} {size:>6}: {r['rows'] / r['seconds']:>8.0f} rows/s "
                f"{r['seconds']:6.2f} s ({r['cpu_s']:5.2f} s CPU here)  "
                f"first byte {r['first_byte_ms']:6.1f} ms  "
                f"peak {r['peak_mb']:6.1f} MB (python)  {r['peak_rss_mb']:6.1f} MB (rss)  "
                f"{r['bytes'] / 2**20:6.1f} MB out",
                flush=True,
            )
        b = results[size, "baseline"] = child(campaign_id, "jsonl", baseline=True)
        print(
            f"{'jsonl, not streamed':>19} {size:>6}: {b['rows'] / b['seconds']:>8.0f} rows/s "
            f"{b['seconds']:6.2f} s ({b['cpu_s']:5.2f} s CPU here)  "
            f"first byte {b['first_byte_ms']:6.1f} ms  "
            f"peak {b['peak_mb']:6.1f} MB (python)  {b['peak_rss_mb']:6.1f} MB (rss)",
            flush=True,
        )
    small, large = min(sizes), max(sizes)
    big = results[large, "jsonl"]
    base = results[large, "baseline"]
    print(
        f"streamed peak grows x{big['peak_mb'] / results[small, 'jsonl']['peak_mb']:.2f} "
        f"for x{large / small:.0f} images; not streamed: "
        f"x{base['peak_mb'] / results[small, 'baseline']['peak_mb']:.2f}; "
        f"streamed/not streamed peak at {large}: {big['peak_mb'] / base['peak_mb']:.3f}"
    )
    k = {size: f"{size // 1000}k" if size % 1000 == 0 else str(size) for size in sizes}
    print(
        f"rows_per_s={big['rows'] / big['seconds']:.0f} peak_mb={big['peak_mb']:.1f} "
        f"jsonl_s={big['seconds']:.2f} csv_s={results[large, 'csv']['seconds']:.2f} "
        f"first_byte_ms={big['first_byte_ms']:.1f} "
        f"peak_rss_mb_{k[small]}={results[small, 'jsonl']['peak_rss_mb']:.0f} "
        f"peak_rss_mb_{k[large]}={big['peak_rss_mb']:.0f} "
        f"peak_mb_{k[small]}={results[small, 'jsonl']['peak_mb']:.1f} "
        f"peak_mb_{k[large]}={big['peak_mb']:.1f} "
        f"baseline_peak_mb_{k[large]}={base['peak_mb']:.1f} "
        f"jsonl_cpu_s={big['cpu_s']:.2f} load={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
