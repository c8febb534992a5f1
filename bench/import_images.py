"""Import throughput: `import_images` against a plain decode-and-resize loop.

Generates N JPEGs of ImageNet size (about 500x375) and, in alternating rounds, times
- the plain loop a person would write, in one process: for each file, open it, decode it and
  make the thumbnail (`Image.open(path)` then `image.thumbnail((size, size))`);
- the real import (`import_items` over the folder, as `manage.py import_images` runs it: worker
  processes read, hash, decode, make and encode the thumbnail and write both files; the parent
  inserts the rows) into a new dataset each round.
Each figure is the best of --repeats rounds (the machine may be shared).

ratio_vs_plain = import images/s / (plain images/s x cores used), where cores used is the
number of worker processes, at most the CPUs this process may run on (with one worker the
import runs in the parent alone). The parent's own work is not granted a core: it has to fit in
the same budget. The CPU line gives the same comparison in CPU time (parent and workers),
which depends less on what else the machine is doing. plain_scaling is what the machine itself
gives: the plain loop run in as many processes at once, against cores x one process (on a
shared VM two cores may give well under twice one); no import can do better per core than that.
With more than one worker, each round also imports with one (the parent alone, one core):
ratio_vs_plain_1_worker is that import against the plain loop.

The plain loop resizes with Pillow's default filter (bicubic); the import's thumbnails use
antialiased bilinear (catalogue.imports.processing.THUMBNAIL_FILTER: cheaper, and as faithful
once encoded and shown in a grid cell). ratio_vs_plain_same_filter compares the import
with the plain loop using that filter too: what the import's own machinery (encoding the
thumbnail, hashing, two files, processes, rows) costs beyond decoding and resizing.

The images and the media folder go to a temporary folder (TMPDIR), removed at the end; each
round imports into its own dataset, so rounds add files and none is deleted before the last
(see real_import). On a slow or busy disk, creating the two files of each image can cost the
import more than the thumbnail does; file_create_ms, measured before each round, says what a
file costs on that disk then. With TMPDIR=/dev/shm the figures leave the disk out.

Run: `make bench`, or `DATABASE_URL=postgres://... .venv/bin/python bench/import_images.py
[--images 2000] [--workers N] [--repeats 3]`. Measured figures: bench/README.md. Last line:
images_per_s=... ratio_vs_plain=... cpu_ratio_vs_plain=... plain_scaling=... file_create_ms=...
ratio_vs_plain_1_worker=... ratio_vs_plain_same_filter=... (one line)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from catalogue.imports.processing import THUMBNAIL_FILTER

DATASET_PREFIX = "bench-import-"


def generate(root: Path, count: int, classes: list[str]) -> list[Path]:
    """Smooth random pictures (photo-like file sizes, unlike pure noise)."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((500, 375), Image.BICUBIC)
        noisy = np.asarray(image, dtype=np.int16) + rng.integers(-12, 12, (375, 500, 3))
        path = root / classes[i % len(classes)] / f"{i:05d}.JPEG"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the import's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def plain_loop(
    paths: list[Path], size: int, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> tuple[float, float]:
    """(images/s, CPU seconds per image). Pillow's default filter unless told."""
    cpu, started = cpu_seconds(), time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.thumbnail((size, size), resample)
    elapsed = time.perf_counter() - started
    return len(paths) / elapsed, (cpu_seconds() - cpu) / len(paths)


def plain_in_parallel(paths: list[Path], size: int, processes: int) -> float:
    """images/s of the plain loop run in `processes` processes at once, each over every file:
    what this machine's cores give together (a shared VM's two cores may not give twice one)."""
    import multiprocessing

    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.starmap(plain_loop, [(paths, size)] * processes)
    return processes * len(paths) / (time.perf_counter() - started)


def file_create_ms(folder: Path, count: int = 400) -> float:
    """CPU milliseconds to create one small file in `folder`'s file system now: what the
    import's two files an image cost on this disk at this moment (see real_import)."""
    folder.mkdir(parents=True)
    data = b"x" * 12_000
    cpu = cpu_seconds()
    for i in range(count):
        (folder / f"{i}.bin").write_bytes(data)
    return 1000 * (cpu_seconds() - cpu) / count


def setup_django(media: Path) -> None:
    import django

    os.environ["FINELABEL_MEDIA_ROOT"] = str(media)
    django.setup()
    from django.core.management import call_command

    from catalogue.models import LabelClass

    call_command("migrate", verbosity=0)
    if not LabelClass.objects.exists():
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)


def real_import(root: Path, round_no: int, workers: int) -> tuple[float, float, int]:
    """(images/s, CPU seconds per image, images stored), into a new dataset. Each round's
    dataset names its files apart, so no round deletes files before or while another is timed:
    on this ext4 volume (mounted with online discard) a burst of deletions made every file
    created in the next minute 10-30x dearer (0.3-0.5 ms against 0.015-0.04 ms a file), which
    measured the cleanup, not the import."""
    from catalogue.imports.service import import_items
    from catalogue.imports.sources import folder_items
    from catalogue.models import Dataset

    dataset = Dataset.objects.create(name=f"{DATASET_PREFIX}{round_no}")
    items = folder_items(root)
    cpu, started = cpu_seconds(), time.perf_counter()
    report = import_items(dataset, items, workers=workers)
    elapsed = time.perf_counter() - started
    cpu_per_image = (cpu_seconds() - cpu) / max(report.imported, 1)
    return report.imported / elapsed, cpu_per_image, report.imported


def drop_bench_datasets() -> None:
    from catalogue.models import Dataset

    Dataset.objects.filter(name__startswith=DATASET_PREFIX).delete()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best counts")
    args = parser.parse_args()
    cores = min(args.workers, len(os.sched_getaffinity(0)))
    size = int(os.environ.get("FINELABEL_THUMBNAIL_SIZE", "256"))
    with tempfile.TemporaryDirectory() as tmp:
        root, media = Path(tmp) / "images", Path(tmp) / "media"
        classes = ["n01440764", "n01443537", "n01484850", "n01491361"]
        paths = generate(root, args.images, classes)
        setup_django(media)
        drop_bench_datasets()
        plain_runs, import_runs, parallel_runs, create_ms, single_runs = [], [], [], [], []
        same_filter_runs = []
        try:
            for round_no in range(args.repeats):
                plain_runs.append(plain_loop(paths, size))
                same_filter_runs.append(plain_loop(paths, size, THUMBNAIL_FILTER))
                create_ms.append(file_create_ms(Path(tmp) / f"probe{round_no}"))
                import_runs.append(real_import(root, round_no, args.workers))
                if cores > 1:
                    parallel_runs.append(plain_in_parallel(paths, size, cores))
                    single_runs.append(real_import(root, args.repeats + round_no, 1))
        finally:
            drop_bench_datasets()
    assert all(run[2] == args.images for run in import_runs), "not every image was imported"
    plain, plain_cpu = max(r[0] for r in plain_runs), min(r[1] for r in plain_runs)
    ours, ours_cpu = max(r[0] for r in import_runs), min(r[1] for r in import_runs)
    ratio = ours / (plain * cores)
    print("plain rounds, images/s:", " ".join(f"{r[0]:.1f}" for r in plain_runs))
    print("import rounds, images/s:", " ".join(f"{r[0]:.1f}" for r in import_runs))
    print(f"plain decode+resize, 1 process: {plain:.1f} images/s")
    print(f"import_images, {args.workers} workers on {cores} cores: {ours:.1f} images/s")
    print(f"per core: {ours / cores:.1f} images/s = {ratio:.2f} of the plain loop")
    print(
        f"CPU per image: plain {plain_cpu * 1e3:.2f} ms, import {ours_cpu * 1e3:.2f} ms "
        f"(parent and workers) = {plain_cpu / ours_cpu:.2f} of the plain loop"
    )
    scaling = max(parallel_runs, default=plain) / (plain * cores)
    if parallel_runs:
        print(
            f"plain loop in {cores} processes at once: {max(parallel_runs):.1f} images/s = "
            f"{scaling:.2f} of {cores} x one process; the import against that: "
            f"{ours / max(parallel_runs):.2f}"
        )
    same_filter = ours / (max(r[0] for r in same_filter_runs) * cores)
    print(
        f"against the plain loop with the import's thumbnail filter ({THUMBNAIL_FILTER.name}): "
        f"{same_filter:.2f} per core"
    )
    single = max((r[0] for r in single_runs), default=ours) / plain
    if single_runs:
        print(f"import_images with 1 worker (the parent alone): {single:.2f} of the plain loop")
    print(
        "creating a 12 kB file on the media folder's disk, CPU ms, each round:",
        " ".join(f"{ms:.3f}" for ms in create_ms),
    )
    print(
        f"images_per_s={ours:.1f} ratio_vs_plain={ratio:.3f} cpu_ratio_vs_plain="
        f"{plain_cpu / ours_cpu:.3f} plain_scaling={scaling:.3f} "
        f"file_create_ms={statistics.median(create_ms):.3f} ratio_vs_plain_1_worker={single:.3f} "
        f"ratio_vs_plain_same_filter={same_filter:.3f}"
    )


if __name__ == "__main__":
    main()
