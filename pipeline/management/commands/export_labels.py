"""`manage.py export_labels`: a campaign's labels to a file, streamed with a progress bar."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from pipeline import exports
from pipeline.models import Campaign
from pipeline.selectors import get_campaign, latest_labelled_campaign
from review import export as review_export
from review.truth import GroundTruthError, resolve_sets


class Command(FinelabelCommand):
    help = (
        "Export a campaign's labels (or those of a dataset's latest campaign) as json, jsonl, "
        "csv, or imagenet-multilabel (JSONL shaped like the published ImageNetMultiLabel "
        "data). Streams: memory stays flat whatever the size. With --what ground-truth or "
        "--what reviews: the expert review of the campaign's dataset (per-image ground truth "
        "with problem flags, or every review vote) as jsonl or csv."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--campaign", help="Campaign id or name.")
        which.add_argument("--dataset", help="Dataset name: its most recent campaign.")
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--output", required=True, help="File to write, or - for stdout.")
        parser.add_argument("--chunk-size", type=int, default=exports.CHUNK_SIZE)
        parser.add_argument(
            "--what",
            choices=["labels", *review_export.WHAT],
            default="labels",
            help="labels (default): the campaign's labels; ground-truth: per-image correct, "
            "wrong and unclear labels of every ground-truth set, with problem flags; reviews: "
            "every review vote with its item's panel outcome.",
        )
        parser.add_argument(
            "--truth-set",
            action="append",
            help="With --what ground-truth: only this set (repeatable). Default: every set.",
        )

    def handle(self, *args, **opts) -> None:
        campaign = self._campaign(opts)
        fmt = opts["format"]
        target = opts["output"]
        if target != "-" and not Path(target).parent.is_dir():
            raise CommandError(f"Output folder does not exist: {Path(target).parent}")
        if opts["what"] == "labels":
            records = tqdm(
                exports.records_for(campaign, fmt, opts["chunk_size"]),
                total=exports.row_count(campaign, fmt),
                unit="img",
                desc=f"export {fmt}",
                file=sys.stderr,
                disable=opts["verbosity"] == 0,
            )
            pieces = exports.export_stream(campaign, fmt, records=records)
        else:
            records, pieces = self._review_export(campaign, fmt, opts)
        if target == "-":
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        rows = self._write(Path(target), pieces, records)
        if opts["verbosity"]:
            unit = "images" if opts["what"] == "labels" else f"{opts['what']} rows"
            self.stderr.write(f"{rows} {unit} of campaign {campaign.name!r} -> {target}")

    @staticmethod
    def _review_export(campaign: Campaign, fmt: str, opts: dict):
        what = opts["what"]
        try:
            review_export.check(what, fmt)
            sets = resolve_sets(opts["truth_set"]) if opts["truth_set"] else None
        except (review_export.ReviewExportError, GroundTruthError) as error:
            raise CommandError(str(error)) from None
        dataset = campaign.dataset
        records = tqdm(
            review_export.records_for(what, dataset, sets, opts["chunk_size"]),
            total=review_export.row_count(what, dataset, sets),
            unit="row",
            desc=f"export {what} {fmt}",
            file=sys.stderr,
            disable=opts["verbosity"] == 0,
        )
        return records, review_export.export_stream(what, fmt, dataset, records=records)

    def _campaign(self, opts: dict) -> Campaign:
        """--campaign, or the dataset's latest campaign that has final labels (said on
        stderr when the dataset has other campaigns, so the choice is never silent)."""
        if opts["campaign"] is not None:
            return get_campaign(opts["campaign"])
        if not Dataset.objects.filter(name=opts["dataset"]).exists():
            raise CommandError(f"No dataset named {opts['dataset']!r}")
        campaigns = Campaign.objects.filter(dataset__name=opts["dataset"]).order_by(
            "-created_at", "-id"
        )
        if not campaigns.exists():
            raise CommandError(f"Dataset {opts['dataset']!r} has no campaign yet")
        campaign = latest_labelled_campaign(campaigns)
        if campaign is None:
            names = ", ".join(f"{c.pk} {c.name!r}" for c in campaigns)
            raise CommandError(
                f"No campaign on dataset {opts['dataset']!r} has final labels yet ({names}): "
                "run its stages, or choose one with --campaign"
            )
        if campaigns.count() > 1:
            self.stderr.write(
                f"Exporting campaign {campaign.pk} {campaign.name!r}, the latest of "
                f"{campaigns.count()} on {opts['dataset']!r} with final labels "
                "(--campaign chooses another)."
            )
        return campaign

    @staticmethod
    def _write(target: Path, pieces, records: tqdm) -> int:
        """Write beside the target and rename at the end: a failed export leaves no file."""
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                for piece in pieces:
                    out.write(piece)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        finally:
            records.close()
        return records.n
