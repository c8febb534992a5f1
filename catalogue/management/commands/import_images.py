import sys

import boto3
from django.core.management.base import CommandError
from tqdm import tqdm

from catalogue.imports.service import ImportReport, import_items, s3_client_options
from catalogue.imports.sources import iter_source, sample_per_class
from catalogue.models import Dataset, LabelClass
from core.commands import FinelabelCommand

SHOWN = 20


class Command(FinelabelCommand):
    help = (
        "Import images into a dataset from an ImageNet-style folder (one sub-folder per wnid), "
        "a CSV manifest (path or URL, label) or an S3 prefix (s3://bucket/prefix/). Unreadable "
        "files and unknown classes are reported and skipped; re-running imports nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Folder, manifest.csv, or s3://bucket/prefix/")
        parser.add_argument("--dataset", required=True, help="Dataset name (created if new).")
        parser.add_argument("--per-class", type=int, help="Sample N images per class.")
        parser.add_argument("--seed", type=int, default=0, help="Seed for --per-class.")
        parser.add_argument("--workers", type=int, help="Decoding processes (default: cores).")
        parser.add_argument("--description", default="", help="Description of a new dataset.")

    def handle(self, *args, **opts):
        if not LabelClass.objects.exists():
            raise CommandError("No classes loaded: run `python manage.py load_imagenet_classes`.")
        items = list(iter_source(opts["source"], lambda: boto3.client("s3", **s3_client_options())))
        if opts["per_class"]:
            items = sample_per_class(items, opts["per_class"], opts["seed"])
        dataset, created = Dataset.objects.get_or_create(
            name=opts["dataset"], defaults={"description": opts["description"]}
        )
        with tqdm(
            total=len(items),
            unit="img",
            desc="import",
            file=sys.stderr,
            disable=opts["verbosity"] < 1,
        ) as bar:
            report = import_items(dataset, items, opts["workers"], progress=bar.update)
        self.print_report(dataset, report)

    def print_report(self, dataset: Dataset, report: ImportReport) -> None:
        sections = [
            ("Unreadable files", report.unreadable),
            (
                "Unknown classes",
                [(loc, f"unknown class {key!r}") for loc, key in report.unknown_class],
            ),
            (
                "Duplicate content (skipped)",
                [(loc, f"same bytes as {other}") for loc, other in report.duplicates],
            ),
        ]
        for title, rows in sections:
            if rows:
                self.stdout.write(self.style.WARNING(f"{title}: {len(rows)}"))
                for locator, why in rows[:SHOWN]:
                    self.stdout.write(f"  {locator}: {why}")
                if len(rows) > SHOWN:
                    self.stdout.write(f"  ... and {len(rows) - SHOWN} more")
        self.stdout.write(
            self.style.SUCCESS(
                f"Dataset {dataset.name}: {report.imported} imported, {report.already_imported} "
                f"already there, {len(report.duplicates)} duplicates, {len(report.unreadable)} "
                f"unreadable, {len(report.unknown_class)} unknown class; "
                f"{dataset.images.count()} images in all."
            )
        )
