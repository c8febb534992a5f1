"""Print a lab annotator's invite links (local crowd mode) for a campaign's open tasks."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from core.commands import FinelabelCommand
from crowd.models import Assignment
from crowd.services.invites import KINDS, invite_links
from crowd.services.submission_input import SubmissionError
from pipeline.selectors import get_campaign


class Command(FinelabelCommand):
    help = (
        "Print one signed link per task of the campaign that WORKER has not answered yet; "
        "the pages work without Mechanical Turk and store answers as that local worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, help="Campaign id or name.")
        parser.add_argument("--worker", required=True, help="The annotator's handle.")
        parser.add_argument(
            "--kind", choices=[*KINDS, "all"], default="all", help="Which task kind (all)."
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Origin the annotators reach the site at (http://127.0.0.1:8000).",
        )

    def handle(self, *args, **options) -> None:
        campaign = get_campaign(options["campaign"])
        kinds = KINDS if options["kind"] == "all" else (Assignment.Kind(options["kind"]),)
        try:
            links = invite_links(campaign, options["worker"], kinds)
        except SubmissionError as exc:
            raise CommandError(exc.message) from exc
        base = options["base_url"].rstrip("/")
        for _, path in links:
            self.stdout.write(f"{base}{path}")
        if not links:
            self.stderr.write(f"{options['worker']} has no open task in {campaign}.")
