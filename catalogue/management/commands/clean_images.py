"""`manage.py clean_images`: worker copies for images imported before there were any."""

from __future__ import annotations

import sys

from tqdm import tqdm

from catalogue.imports.worker_copies import clean_images, without_worker_copy
from core.commands import FinelabelCommand

SHOWN = 20


class Command(FinelabelCommand):
    help = (
        "Make the copy that workers are served (the picture without EXIF, XMP, IPTC or "
        "comments) and a clean thumbnail for every image that has none yet: those imported "
        "before worker copies existed. The originals stay as they are. Until it has run, such "
        "images are cleaned each time they are served. Safe to stop and run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dataset", help="Only this dataset's images.")
        parser.add_argument("--workers", type=int, help="Processes (default: all cores).")

    def handle(self, *args, dataset: str | None = None, workers: int | None = None, **opts):
        images = without_worker_copy(dataset)
        total = images.count()
        with tqdm(
            total=total,
            unit="img",
            desc="clean copies",
            file=sys.stderr,
            disable=opts["verbosity"] < 1,
        ) as bar:
            report = clean_images(images, workers, progress=bar.update)
        for locator, why in report.failed[:SHOWN]:
            self.stdout.write(self.style.WARNING(f"  {locator}: {why}"))
        if len(report.failed) > SHOWN:
            self.stdout.write(f"  ... and {len(report.failed) - SHOWN} more")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.cleaned} images cleaned ({report.copies} carried metadata: a copy "
                f"without it is stored beside the original), {len(report.failed)} failed; "
                f"{without_worker_copy(dataset).count()} left without a worker copy."
            )
        )
