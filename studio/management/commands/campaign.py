"""`manage.py campaign ACTION`: everything the campaign page (/campaigns/) does, on the same
service functions (studio.lifecycle, studio.planning, studio.controls, studio.progress)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from pipeline.selectors import get_campaign
from studio import controls, lifecycle
from studio.planning import CROWDS, control_coverage, cost_estimate
from studio.progress import campaign_progress

COUNTS = (
    "contains_assignments",
    "contains_min_assignments",
    "classify_assignments",
    "classify_min_assignments",
)
MONEY = ("contains_reward", "classify_reward", "mturk_budget")


def money(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CommandError(f"Not an amount in USD: {value!r}.") from None


class Command(FinelabelCommand):
    help = (
        "Create and run a campaign as its page does: create, cost (the MTurk dry run), status "
        "(progress and control coverage), add-controls, start, pause, resume, close."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = sub.add_parser("create", help="a new draft campaign")
        p.add_argument("--name", required=True)
        p.add_argument("--dataset", required=True, help="dataset name")
        p.add_argument("--ensemble", default="paper10", help="a registered model ensemble")
        p.add_argument("--crowd", choices=list(CROWDS), default="local")
        p.add_argument("--owner", help="username of the researcher who owns it")
        for name in COUNTS:
            p.add_argument(f"--{name.replace('_', '-')}", type=int)
        for name in MONEY:
            p.add_argument(f"--{name.replace('_', '-')}", type=money)
        for name, text in (
            ("cost", "the MTurk dry run: what publishing would cost, fees included"),
            ("status", "lifecycle, stage runs, answers in / expected, control coverage"),
            ("pause", "publish nothing and take no answers until resumed"),
            ("resume", "take answers again"),
            ("close", "for good: no more answers, nothing published"),
        ):
            sub.add_parser(name, help=text).add_argument("--campaign", required=True)
        p = sub.add_parser("start", help="stage 1, the grids, and MTurk HITs for an MTurk crowd")
        p.add_argument("--campaign", required=True)
        p.add_argument("--random-weights", action="store_true", help="untrained weights (demos)")
        p.add_argument("--confirm-live", action="store_true", help="publish on live MTurk")
        p = sub.add_parser("add-controls", help="known-label images: a CSV or label/image folder")
        p.add_argument("--campaign", required=True)
        p.add_argument("source", help="path_or_url,label CSV, or a folder label/image.jpg")

    def handle(self, *args, action: str, **o) -> None:
        getattr(self, "do_" + action.replace("-", "_"))(**o)

    def say(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)

    def do_create(self, name, dataset, ensemble, crowd, owner, **o) -> None:
        found = Dataset.objects.filter(name=dataset).first()
        if found is None:
            known = ", ".join(Dataset.objects.values_list("name", flat=True)[:10]) or "none"
            raise CommandError(f"No dataset named {dataset!r}; datasets: {known}.")
        user = None
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No user named {owner!r}.")
        fields = {k: o[k] for k in (*COUNTS, *MONEY) if o.get(k) is not None}
        try:
            campaign = lifecycle.create_campaign(
                user, crowd, name=name, dataset=found, ensemble=ensemble, **fields
            )
        except ValidationError as exc:
            raise CommandError(lifecycle.one_line(exc)) from None
        self.stdout.write(f"Created campaign {campaign.pk} {campaign.name!r} ({CROWDS[crowd]}).")

    def do_cost(self, campaign, **o) -> None:
        self.say(cost_estimate(get_campaign(campaign)).lines())

    def do_status(self, campaign, **o) -> None:
        c = get_campaign(campaign)
        self.say(campaign_progress(c).lines())
        coverage = control_coverage(c)
        self.stdout.write(
            f"Control coverage: {len(coverage.short)} of {coverage.labels} labels with fewer "
            f"than {coverage.min_controls} controls per grid"
        )
        for row in coverage.short[:20]:
            self.stdout.write(f"  {row.wnid} {row.name}: {row.controls} ({row.images} images)")

    def do_add_controls(self, campaign, source, **o) -> None:
        self.say(controls.report_lines(controls.add_controls(get_campaign(campaign), source)))

    def do_start(self, campaign, random_weights, confirm_live, **o) -> None:
        started = lifecycle.start(
            get_campaign(campaign), random_weights=random_weights, confirm_live=confirm_live
        )
        self.say(started.lines)

    def do_pause(self, campaign, **o) -> None:
        self.stdout.write(f"Paused {lifecycle.pause(get_campaign(campaign)).name!r}.")

    def do_resume(self, campaign, **o) -> None:
        self.stdout.write(f"Resumed {lifecycle.resume(get_campaign(campaign)).name!r}.")

    def do_close(self, campaign, **o) -> None:
        self.stdout.write(f"Closed {lifecycle.close(get_campaign(campaign)).name!r}.")
