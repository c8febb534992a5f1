"""`manage.py aggregate_classify`: aggregate CLASSIFY answers from a JSONL file.

A thin shell over `pipeline.replay`: argument parsing, a progress bar on stderr and a closing
summary. It reads records shaped like shared/datasets/classify_dev.jsonl and writes each one
back with an `aggregate` field; it touches no database, so it runs on any checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from core.commands import FinelabelCommand
from pipeline.replay import ReplayError, count_records, replay_file


class Command(FinelabelCommand):
    help = (
        "Aggregate CLASSIFY answers (JSONL records with imagenet_label and responses, as in "
        "the published ImageNetMultiLabel data) into objects, main object and selection "
        "frequencies; writes each record plus an `aggregate` field. Needs no database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="JSONL file of answers.")
        parser.add_argument("--output", required=True, type=Path, help="JSONL file to write.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Stop at the first bad record (default: report it, write it with "
            "aggregate null and its error, and go on).",
        )

    def handle(self, *args, **opts) -> None:
        source, target = Path(opts["input"]), Path(opts["output"])
        if not source.is_file():
            raise CommandError(f"No such input file: {source}")
        if not target.parent.is_dir():
            raise CommandError(f"Output folder does not exist: {target.parent}")
        with tqdm(
            total=count_records(source),
            unit="img",
            desc="aggregate",
            file=sys.stderr,
            disable=opts["verbosity"] < 1,
        ) as bar:
            on_error = None if opts["strict"] else self._reporter(source)
            try:
                summary = replay_file(source, target, progress=bar.update, on_error=on_error)
            except ReplayError as error:
                raise CommandError(f"{source}: {error}") from error
        style = self.style.WARNING if summary.skipped else self.style.SUCCESS
        self.stdout.write(style(f"{summary} -> {target}"))

    def _reporter(self, source: Path):
        def report(error: ReplayError) -> None:
            with tqdm.external_write_mode(file=sys.stderr):  # keep the bar intact
                self.stderr.write(f"{source}: {error} (skipped)")

        return report
