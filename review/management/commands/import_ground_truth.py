"""Import multi-label ground truth: ReaL's labels (timm's copy by default), a file of
per-image label lists, or a campaign's crowd labels."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from pipeline.selectors import get_campaign
from review.truth import crowd_truth, import_file, real_labels_path


class Command(FinelabelCommand):
    help = (
        "Store a ground-truth set for a dataset. --real [PATH]: ReaL labels (a JSON list, "
        "entry i for ILSVRC2012_val_<i+1>; default: the copy timm ships), matched on the "
        "images' source file names; every label not listed counts as wrong. --file PATH: a "
        "JSON object mapping an image (source file name with or without extension, or public "
        "id) to its correct labels (class indices or wnids). --campaign: the crowd labels."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", help="Dataset name (for --real and --file).")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--real", nargs="?", const="", metavar="PATH")
        source.add_argument("--file", metavar="PATH")
        source.add_argument("--campaign", help="Campaign id or name: its crowd labels.")
        parser.add_argument("--name", help="Name of the set (real, the file's stem, crowd-<id>).")
        exhaustive = parser.add_mutually_exclusive_group()
        exhaustive.add_argument(
            "--exhaustive",
            action="store_true",
            default=None,
            help="Labels not listed are wrong (default for --real).",
        )
        exhaustive.add_argument("--not-exhaustive", dest="exhaustive", action="store_false")

    def handle(self, *args, **options) -> None:
        report = self._import(options)
        self.stdout.write(report.summary())
        if report.unmatched:
            shown = ", ".join(report.unmatched[:5])
            self.stderr.write(f"{len(report.unmatched)} keys match no image, e.g. {shown}")

    def _import(self, options):
        if options["campaign"]:
            return crowd_truth(get_campaign(options["campaign"]), options["name"])
        if not options["dataset"]:
            raise CommandError("--dataset is required with --real and --file.")
        dataset = Dataset.objects.filter(name=options["dataset"]).first()
        if dataset is None:
            raise CommandError(f"No dataset {options['dataset']!r}.")
        if options["real"] is not None:
            path = Path(options["real"]) if options["real"] else real_labels_path()
            exhaustive = options["exhaustive"] is not False
            name = options["name"] or "real"
        else:
            path = Path(options["file"])
            exhaustive = bool(options["exhaustive"])
            name = options["name"] or path.stem.lower().replace("_", "-")
        return import_file(dataset, path, name, exhaustive)
