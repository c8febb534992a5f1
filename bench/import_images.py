"""Import throughput: `import_images` against a plain decode-and-resize loop.

Generates N JPEGs of ImageNet size (about 500x375), times a plain loop in one process (open,
decode, resize to the thumbnail size) and the real import (decode in worker processes, hash,
thumbnail, store files, insert rows) into a scratch dataset, and prints images/s and the ratio
per core used. Uses DATABASE_URL (PostgreSQL via `make bench`). Last line:
images_per_s=... ratio_vs_plain=...
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


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


def plain_loop(paths: list[Path], size: int) -> float:
    started = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.thumbnail((size, size))
    return len(paths) / (time.perf_counter() - started)


def real_import(root: Path, workers: int) -> tuple[float, int]:
    import django

    django.setup()
    from django.core.management import call_command

    from annotation.imports.service import import_items
    from annotation.imports.sources import folder_items
    from annotation.models import Dataset, LabelClass

    call_command("migrate", verbosity=0)
    if not LabelClass.objects.exists():
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)
    Dataset.objects.filter(name="bench-import").delete()
    dataset = Dataset.objects.create(name="bench-import")
    items = folder_items(root)
    started = time.perf_counter()
    report = import_items(dataset, items, workers=workers)
    elapsed = time.perf_counter() - started
    Dataset.objects.filter(pk=dataset.pk).delete()
    return report.imported / elapsed, report.imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "images"
        os.environ["FINELABEL_MEDIA_ROOT"] = str(Path(tmp) / "media")
        classes = ["n01440764", "n01443537", "n01484850", "n01491361"]
        paths = generate(root, args.images, classes)
        size = int(os.environ.get("FINELABEL_THUMBNAIL_SIZE", "256"))
        plain = max(plain_loop(paths, size) for _ in range(2))
        ours, imported = real_import(root, args.workers)
    assert imported == args.images, f"imported {imported} of {args.images}"
    ratio = ours / (plain * args.workers)
    print(f"plain decode+resize, 1 process: {plain:.1f} images/s")
    print(f"import_images, {args.workers} workers: {ours:.1f} images/s ({imported} stored)")
    print(f"per core: {ours / args.workers:.1f} images/s = {ratio:.2f} of the plain loop")
    print(f"images_per_s={ours:.1f} ratio_vs_plain={ratio:.3f}")


if __name__ == "__main__":
    main()
