"""Import a model's reviewed mistakes (Vasudevan et al. 2022, imagenet_mistakes/*.json) as
decided review items, and print their Table 2."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from pipeline.rules.mistakes import MistakeFileError, mistakes_table, read_mistakes
from review.services import import_mistakes


class Command(FinelabelCommand):
    help = (
        "Store the expert panel's review of a model's mistakes from a JSON file mapping a "
        "validation file name to {top_prediction, failure category, failure severity} (the "
        "published vit3b_mistakes.json): one decided review item per mistake, verdict "
        "incorrect, with its severity (Borderline counts as minor) and category."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The mistakes file.")
        parser.add_argument("--dataset", required=True, help="Dataset whose images it names.")
        parser.add_argument("--model", required=True, help="The reviewed model's name.")

    def handle(self, *args, **options) -> None:
        dataset = Dataset.objects.filter(name=options["dataset"]).first()
        if dataset is None:
            raise CommandError(f"No dataset {options['dataset']!r}.")
        mistakes = self._read(options["path"])
        report = import_mistakes(dataset, mistakes, options["model"])
        out = self.stdout.write
        out(
            f"{options['model']}: {report.items} mistakes stored ({report.created} new review "
            f"items); {len(report.unmatched)} name no image of {dataset.name}"
        )
        table = mistakes_table(mistakes)
        out(f"Table 2: {table['total']} mistakes, {table['major']} major, {table['minor']} minor")
        for name, row in table["by_category"].items():
            out(f"  {name:<40} major {row['major']:>4}  minor {row['minor']:>4}")

    def _read(self, path: Path):
        try:
            return read_mistakes(json.loads(Path(path).read_text(encoding="utf-8")))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except (ValueError, MistakeFileError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
