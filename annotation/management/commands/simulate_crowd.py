"""`manage.py simulate_crowd --campaign ID --stage contains`: answers from a simulated crowd."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pipeline import simulate
from pipeline.stages.errors import StageError
from pipeline.stages.simulate_crowd import simulate_contains

from ._campaign import get_campaign


class Command(BaseCommand):
    help = (
        "Answer a campaign's CONTAINS grids with a simulated crowd (honest workers and "
        "spammers), up to the campaign's answers per grid. Rows are written as a real "
        "worker's would be; re-running fills only grids that are not full."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign id or name")
        parser.add_argument("--stage", choices=["contains"], default="contains")
        parser.add_argument("--spammers", type=float, default=0.1, help="share of spammers")
        parser.add_argument(
            "--spammer-kinds",
            default=",".join(simulate.DEFAULT_SPAMMERS),
            help=f"comma-separated, among {','.join(simulate.SPAMMER_KINDS)}",
        )
        parser.add_argument("--workers", type=int, help="crowd size (default: ~40 grids each)")
        parser.add_argument("--seed", type=int, help="default: the campaign's seed")
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

    def handle(self, *args, campaign: str, spammers: float, spammer_kinds: str, **options):
        target = get_campaign(campaign)
        kinds = tuple(k.strip() for k in spammer_kinds.split(",") if k.strip())
        with tqdm(desc="answering grids", unit="grid", disable=options["verbosity"] == 0) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                result = simulate_contains(
                    target,
                    spammer_share=spammers,
                    seed=options["seed"],
                    workers=options["workers"],
                    spammer_kinds=kinds,
                    extra_true_rate=options["extra_true"],
                    mislabeled_rate=options["mislabeled"],
                    progress=progress,
                )
            except (StageError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        spam = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(result.spammers.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {result.answers} answers ({result.selections} selections) on "
                f"{result.grids_filled} grids by {result.workers} workers ({spam or 'no'} "
                "spammers)"
            )
        )
