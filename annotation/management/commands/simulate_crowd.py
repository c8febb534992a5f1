"""`manage.py simulate_crowd --campaign ID --stage contains|classify [--url URL]`: a simulated
crowd answering a campaign's tasks through the HIT pages and submit endpoints
(pipeline.crowd_http): in process without --url, over HTTP against a running server with it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pipeline import simulate
from pipeline.crowd_http import MODES, CrowdError, crowd_classify, crowd_contains, transport_for
from pipeline.stages.errors import StageError
from pipeline.stages.simulate_crowd import simulate_contains

from ._campaign import get_campaign


class Command(BaseCommand):
    help = (
        "Answer a campaign's CONTAINS grids or CLASSIFY tasks with a simulated crowd (honest "
        "workers, spammers, workers who ignore controls) that opens each HIT page and posts "
        "its answer to the submit endpoint, up to the campaign's answers per task. Without "
        "--url the endpoints run in this process (Django's handler, no socket); re-running "
        "fills only tasks that are not full."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign id or name")
        parser.add_argument("--stage", choices=["contains", "classify"], default="contains")
        parser.add_argument(
            "--spammers",
            type=float,
            help="CONTAINS: share of spammers (default 0.1); CLASSIFY: their number (default 2)",
        )
        parser.add_argument(
            "--spammer-kinds",
            default=",".join(simulate.DEFAULT_SPAMMERS),
            help=f"CONTAINS, comma-separated, among {','.join(simulate.SPAMMER_KINDS)}",
        )
        parser.add_argument(
            "--workers", type=int, help="CONTAINS crowd size (default ~40 grids each)"
        )
        parser.add_argument("--seed", type=int, help="default: the campaign's seed")
        parser.add_argument("--url", help="a running server's origin, e.g. http://127.0.0.1:8000")
        parser.add_argument("--threads", type=int, default=4, help="parallel workers with --url")
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="invite",
            help="open pages by simulated-worker invite links, or with MTurk's parameters "
            "(stores MTurk workers: not on a campaign published on MTurk)",
        )
        parser.add_argument(
            "--real-time",
            type=float,
            default=0.0,
            help="sleep each think time times this factor before submitting (default: no wait)",
        )
        parser.add_argument(
            "--direct",
            action="store_true",
            help="CONTAINS: write the answers straight to the database (paper-scale speed)",
        )
        parser.add_argument(
            "--extra-true",
            type=float,
            default=0.1,
            help="probability that a potential label other than the dataset label is true",
        )
        parser.add_argument(
            "--mislabeled",
            type=float,
            default=0.0,
            help="share of images whose dataset label is not true",
        )

    def handle(self, *args, campaign: str, **options):
        target = get_campaign(campaign)
        if options["real_time"] < 0 or options["threads"] < 1:
            raise CommandError("--real-time cannot be negative and --threads must be at least 1")
        stage = options["stage"]
        started = time.perf_counter()
        with tqdm(
            desc=f"answering {stage}", unit="answer", disable=options["verbosity"] == 0
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                if stage == "contains":
                    line = self.contains(target, options, progress)
                else:
                    line = self.classify(target, options, progress)
            except (StageError, ValueError, CrowdError, OSError) as exc:
                raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{line} in {seconds:.1f} s"))

    def contains(self, campaign, options, progress) -> str:
        kinds = tuple(k.strip() for k in options["spammer_kinds"].split(",") if k.strip())
        share = 0.1 if options["spammers"] is None else options["spammers"]
        common = dict(
            spammer_share=share,
            seed=options["seed"],
            workers=options["workers"],
            spammer_kinds=kinds,
            extra_true_rate=options["extra_true"],
            mislabeled_rate=options["mislabeled"],
            progress=progress,
        )
        if options["direct"]:
            if options["url"]:
                raise CommandError("--direct writes to the database: it takes no --url")
            result = simulate_contains(campaign, **common)
            how = "written directly"
        else:
            result = crowd_contains(campaign, **self.transport(options), **common)
            how = "through the endpoints"
        spam = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(result.spammers.items()))
        return (
            f"Simulated {result.answers} CONTAINS answers ({result.selections} selections) on "
            f"{result.grids_filled} grids by {result.workers} workers ({spam or 'no'} "
            f"spammers), {how}"
        )

    def classify(self, campaign, options, progress) -> str:
        spammers = 2 if options["spammers"] is None else options["spammers"]
        if spammers < 0 or spammers != int(spammers):
            raise CommandError("--spammers for CLASSIFY is a number of workers (0, 1, 2...)")
        if options["direct"]:
            raise CommandError(
                "use `manage.py simulate_classify` to write CLASSIFY answers directly"
            )
        summary = crowd_classify(
            campaign,
            spammers=int(spammers),
            seed=options["seed"],
            progress=progress,
            **self.transport(options),
        )
        return f"Simulated {summary}, through the endpoints"

    @staticmethod
    def transport(options) -> dict:
        return {
            "transport": transport_for(options["url"]),
            "mode": options["mode"],
            "threads": options["threads"] if options["url"] else 1,
            "real_time": options["real_time"],
        }
