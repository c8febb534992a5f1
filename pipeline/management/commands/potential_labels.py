"""manage.py potential_labels: stage 1, the model ensemble's potential labels."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import CommandError
from tqdm import tqdm

from core.commands import FinelabelCommand
from pipeline.models import Campaign, StageRun
from pipeline.selectors import get_campaign, potential_label_histogram
from pipeline.stages import potential_labels as stage

POLL_SECONDS = 1.0


class Command(FinelabelCommand):
    help = (
        "Run the campaign's model ensemble on every image of its dataset, store each model's "
        "top-5, and build the campaign's potential labels (their union plus the dataset "
        "label). Work already stored is skipped: an interrupted run resumes when run again. "
        "With CELERY_BROKER_URL set the chunks go to the 'gpu' queue, otherwise (or with "
        "--no-celery) they run in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign id or name")
        parser.add_argument(
            "--chunk-size", type=int, default=stage.DEFAULT_CHUNK_SIZE, help="images per task"
        )
        parser.add_argument("--batch-size", type=int, default=stage.DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--workers", type=int, default=None, help="decoding processes (default: per core)"
        )
        parser.add_argument(
            "--random-weights",
            action="store_true",
            help="untrained weights (tests, demos); predictions are marked as such",
        )
        parser.add_argument("--no-celery", action="store_true", help="run in this process")

    def handle(self, *args, **opts):
        campaign = get_campaign(opts["campaign"])
        for name in ("chunk_size", "batch_size"):
            if opts[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if opts["workers"] is not None and opts["workers"] < 0:
            raise CommandError("--workers must be 0 (decode in this process) or more.")
        options = stage.RunOptions.for_campaign(
            campaign,
            random_weights=opts["random_weights"],
            chunk_size=opts["chunk_size"],
            batch_size=opts["batch_size"],
            workers=opts["workers"],
        )
        quiet = opts["verbosity"] < 1
        if settings.CELERY_BROKER_URL and not opts["no_celery"]:
            summary = self.run_celery(campaign, options, quiet)
        else:
            summary = self.run_here(campaign, options, quiet)
        self.report(summary)

    def run_here(
        self, campaign: Campaign, options: stage.RunOptions, quiet: bool
    ) -> stage.StageSummary:
        bar = tqdm(desc="images", unit="img", disable=quiet, file=sys.stderr)
        try:
            return stage.compute_potential_labels(
                campaign,
                options,
                on_start=lambda total: bar.reset(total=total),
                on_batch=bar.update,
            )
        except KeyboardInterrupt:
            raise CommandError(
                f"Interrupted after {bar.n} images. Stored batches are kept: run the same "
                "command again to go on from there."
            ) from None
        finally:
            bar.close()

    def run_celery(
        self, campaign: Campaign, options: stage.RunOptions, quiet: bool
    ) -> stage.StageSummary:
        from pipeline.tasks.potential_labels import dispatch

        run, result = dispatch(campaign, options)
        self.stdout.write(f"Run {run.pk}: chunks of {options.chunk_size} sent to the 'gpu' queue.")
        bar = tqdm(total=run.total, desc="images", unit="img", disable=quiet, file=sys.stderr)
        with bar:
            try:
                while not result.ready():
                    time.sleep(POLL_SECONDS)
                    run.refresh_from_db(fields=["done", "status", "message"])
                    bar.update(run.done - bar.n)
                    if run.status == StageRun.Status.FAILED:
                        break
            except KeyboardInterrupt:
                raise CommandError(
                    f"Stopped watching run {run.pk}; its tasks go on on the workers. The "
                    "admin shows its progress."
                ) from None
        run.refresh_from_db()
        if run.status == StageRun.Status.FAILED or result.failed():
            raise CommandError(f"Run {run.pk} failed: {run.message or result.result}")
        result.get(propagate=True)
        chunks = stage.ChunkResult(images=run.done)
        histogram = potential_label_histogram(campaign)
        count = sum(n * k for n, k in histogram.counts.items())
        return stage.StageSummary(run.pk, chunks, histogram.images, count, histogram)

    def report(self, summary: stage.StageSummary) -> None:
        run = StageRun.objects.get(pk=summary.run_id)
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk}: {run.message}"))
        for image_id, error in summary.chunk.failures[:10]:
            self.stdout.write(f"  image {image_id} failed: {error}")
        histogram = summary.histogram
        self.stdout.write("Potential labels per image (paper figure 11):")
        self.stdout.write("  labels  images")
        for labels, images in histogram.rows():
            self.stdout.write(f"  {labels:6d}  {images:6d}")
        self.stdout.write(
            f"  mean {histogram.mean:.2f}, median {histogram.median:g}, {histogram.images} images"
        )
