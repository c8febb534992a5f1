"""`manage.py simulate_classify --campaign ID [--spammers N] [--seed S]`: answers from a
simulated crowd to a campaign's CLASSIFY tasks (simulation.classify_model)."""

from __future__ import annotations

from django.core.management.base import CommandError

from core.commands import FinelabelCommand, ProgressBars
from crowd.models import ClassifyTask
from pipeline.selectors import get_campaign
from simulation.classify_crowd import simulate_classify_answers


class Command(FinelabelCommand):
    help = (
        "Answer a campaign's CLASSIFY tasks with simulated workers: honest ones with some "
        "noise, and spammers who break the rules. Replaces earlier simulated answers."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="Campaign id (or name).")
        parser.add_argument("--spammers", type=int, default=2, help="spammers in the crowd")
        parser.add_argument("--seed", type=int, default=None, help="default: the campaign's")

    def handle(self, *args, **opts) -> None:
        campaign = get_campaign(opts["campaign"])
        if opts["spammers"] < 0:
            raise CommandError("--spammers cannot be negative")
        if not ClassifyTask.objects.filter(campaign=campaign).exists():
            raise CommandError(
                f"Campaign {campaign.pk} has no CLASSIFY tasks: run "
                f"`manage.py classify --campaign {campaign.pk} tasks` first"
            )
        bars = ProgressBars(opts["verbosity"] >= 1)
        try:
            summary = simulate_classify_answers(
                campaign,
                spammers=opts["spammers"],
                seed=opts["seed"],
                progress=bars("simulate"),
            )
        finally:
            bars.close()
        self.stdout.write(self.style.SUCCESS(str(summary)))
