"""`manage.py followup`: more answers on ambiguous images, and adaptive collection by hand.

followup ask --campaign C [--more 3] [--mturk]   ask for more answers on ambiguous images
followup rerun --campaign C                      re-run the stages they feed
followup adaptive --campaign C [--mturk]         weigh the answers in, ask where unsettled
followup status --campaign C                     tasks waiting for answers
"""

from __future__ import annotations

from core.commands import FinelabelCommand
from pipeline.selectors import get_campaign
from pipeline.stages import adaptive, followup


class Command(FinelabelCommand):
    help = "Ask for more answers: on ambiguous images (issue 18) or where unsettled (adaptive)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["ask", "rerun", "adaptive", "status"])
        parser.add_argument("--campaign", required=True, help="Campaign id or name.")
        parser.add_argument(
            "--more", type=int, default=3, help="Answers to ask per grid (ask; default 3)."
        )
        parser.add_argument(
            "--mturk",
            action="store_true",
            help="Also extend the campaign's MTurk HITs (additional assignments, sandbox "
            "unless FINELABEL_MTURK_LIVE).",
        )

    def handle(self, *args, action: str, campaign: str, more: int, mturk: bool, **options):
        found = get_campaign(campaign)
        if action == "ask":
            self.say(str(followup.ask(found, more)))
        elif action == "rerun":
            for name, summary in followup.rerun(found).items():
                self.say(f"{name}: {summary}")
        elif action == "adaptive":
            for kind in adaptive.KINDS:
                self.say(str(adaptive.review(found, kind)))
        for kind in adaptive.KINDS:
            self.say(f"{kind}: {adaptive.waiting(found, kind)} tasks wait for answers")
        if mturk and action in ("ask", "adaptive"):
            from crowd.mturk.adaptive import extend_to_targets
            from crowd.mturk.gateway import MTurk

            self.say(f"MTurk: {extend_to_targets(MTurk(campaign=found), found)}")

    def say(self, line: str) -> None:
        self.stdout.write(line + "\n")
