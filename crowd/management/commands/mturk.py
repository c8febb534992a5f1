"""`manage.py mturk ...`: run a campaign on Mechanical Turk. Sandbox unless
FINELABEL_MTURK_LIVE=1, and then every action that spends money or reaches workers asks for
confirmation (type the campaign name, or pass --i-understand-this-spends-money)."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from core.commands import FinelabelCommand
from crowd.models import Hit
from crowd.mturk import review
from crowd.mturk.client import CONFIRM_FLAG, LiveNotConfirmed, confirm_live, live_mode
from crowd.mturk.costs import dollars
from crowd.mturk.gateway import MTurk, MTurkError
from crowd.mturk.publish import (
    PublishRefused,
    account_balance,
    check_publishable,
    plan_publish,
    publish,
)
from crowd.mturk.selectors import local_answers, mturk_summary
from crowd.mturk.sync import sync_campaign
from crowd.public_url import check_public_url, public_url_problem
from crowd.selectors import waiting_line
from pipeline.models import Campaign
from pipeline.selectors import get_campaign


class Command(FinelabelCommand):
    help = "Publish, sync, review and pay a campaign's HITs on Mechanical Turk (sandbox default)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def add(name: str, help: str, *, campaign=False, writes=True):
            p = sub.add_parser(name, help=help, description=help)
            if campaign:
                p.add_argument("--campaign", required=True, help="campaign id or name")
            if writes:
                p.add_argument(
                    CONFIRM_FLAG,
                    dest="confirmed",
                    action="store_true",
                    help="in live mode, go on without typing the campaign name",
                )
            return p

        add("balance", "Show the account balance.", writes=False)
        p = add("publish", "Publish a stage's HITs.", campaign=True)
        p.add_argument("--stage", required=True, choices=Hit.Kind.values)
        p.add_argument("--dry-run", action="store_true", help="print the HITs and cost only")
        p.add_argument("--limit", type=int, help="publish at most this many HITs")
        add("sync", "Sync assignments of open HITs.", campaign=True, writes=False)
        add("summary", "HITs, assignments and money of a campaign.", campaign=True, writes=False)
        p = add("approve", "Approve submitted answers that QC kept.", campaign=True)
        p.add_argument("--feedback", default="", help="optional message to the workers")
        p = add("reject", "Reject one assignment, with feedback.")
        p.add_argument("--assignment", required=True, help="MTurk AssignmentId")
        p.add_argument("--feedback", required=True, help="why, for the worker")
        p = add("bonus", "Pay a bonus on one assignment.")
        p.add_argument("--assignment", required=True, help="MTurk AssignmentId")
        p.add_argument("--amount", required=True, help="USD, e.g. 0.50")
        p.add_argument("--reason", required=True, help="what the worker reads")
        p.add_argument("--token", default="", help="a new token for a second bonus")
        p = add("block", "Block a worker (and exclude them from the campaign).")
        p.add_argument("--campaign", help="campaign id or name (its exclusion qualification)")
        p.add_argument("--worker", help="MTurk WorkerId")
        p.add_argument("--failed-qc", action="store_true", help="every worker QC dropped")
        p.add_argument("--reason", required=True)
        p = add("qualify", "Grant the screening qualification.", campaign=True)
        p.add_argument("--worker", required=True, help="MTurk WorkerId")
        add("create-qualifications", "Create the screening and exclusion types.", campaign=True)
        p = add("expire", "Expire HITs now.")
        p.add_argument("--hit", help="one HITId")
        p.add_argument("--campaign", help="campaign id or name: all its open HITs of --stage")
        p.add_argument("--stage", choices=Hit.Kind.values)
        p = add("extend", "Add assignments to a HIT and/or push its expiration.")
        p.add_argument("--hit", required=True, help="HITId")
        p.add_argument("--assignments", type=int, default=0)
        p.add_argument("--days", type=float, help="expire this many days from now")

    def handle(self, *args, **options) -> None:
        self.options = options
        self.stdin = options.get("stdin") or sys.stdin
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(**options)
        except (
            LiveNotConfirmed,
            PublishRefused,
            review.AssignmentReviewError,
            MTurkError,
            ImproperlyConfigured,
            ValueError,
        ) as exc:
            raise CommandError(str(exc)) from exc

    # Helpers ---------------------------------------------------------------------------------
    def say(self, line: str = "") -> None:
        self.stdout.write(line)

    def campaign(self, ref: str | None) -> Campaign:
        if not ref:
            raise CommandError("--campaign is required here.")
        return get_campaign(ref)

    def confirm(self, campaign: Campaign) -> None:
        confirm_live(
            campaign.name,
            flag=self.options.get("confirmed", False),
            stdin=self.stdin,
            stdout=self.stdout,
        )

    def environment(self) -> str:
        return "LIVE" if live_mode() else "sandbox"

    # Actions ---------------------------------------------------------------------------------
    def do_balance(self, **o) -> None:
        self.say(f"Account balance ({self.environment()}): {dollars(account_balance(MTurk()))}")

    def do_publish(self, campaign, stage, dry_run, limit, **o) -> None:
        c = self.campaign(campaign)
        plan = plan_publish(c, stage, sandbox=not live_mode(), limit=limit)
        for line in plan.describe():
            self.say(line)
        for line in self.publish_warnings(c, stage, check_url=dry_run):
            self.say(self.style.WARNING(f"Warning: {line}"))
        if dry_run:
            self.say("Dry run: nothing published.")
            return
        check_publishable(plan)
        if not plan.tasks:
            self.say("Nothing to publish.")
            return
        check_public_url()  # before any call to MTurk
        self.confirm(c)
        mturk = MTurk(campaign=c)
        balance = account_balance(mturk)
        self.say(f"Account balance: {dollars(balance)}")
        with tqdm(total=len(plan.tasks), desc="publishing", unit="HIT", file=sys.stderr) as bar:
            hits = publish(mturk, plan, balance=balance, progress=bar.update)
        self.say(f"Published {len(hits)} HITs (HIT type {hits[0].hit_type_id}).")

    def publish_warnings(self, c: Campaign, stage: str, *, check_url: bool) -> list[str]:
        """What a researcher should know before publishing (a dry run shows it all)."""
        lines = []
        answers, tasks = local_answers(c, stage)
        if answers:
            lines.append(
                f"{tasks} {stage.upper()} tasks of this campaign already hold {answers} answers "
                "from the local or simulated crowd; MTurk answers will be added to them."
            )
        url = (settings.FINELABEL_PUBLIC_URL or "").rstrip("/")
        if check_url and (problem := public_url_problem(url)):
            lines.append(f"{problem} Publishing will be refused.")
        return lines

    def do_sync(self, campaign, **o) -> None:
        c = self.campaign(campaign)
        for line in sync_campaign(MTurk(campaign=c), c).lines():
            self.say(line)

    def do_summary(self, campaign, **o) -> None:
        c = self.campaign(campaign)
        s = mturk_summary(c)
        self.say(f"Campaign {c.name!r} ({'sandbox' if s.sandbox else 'LIVE'})")
        for kind in Hit.Kind.values:
            self.say(
                f"{kind.upper()}: {s.hits.get(kind, 0)} HITs published, "
                f"{s.unpublished.get(kind, 0)} tasks not published"
            )
        self.say(
            f"Assignments done: {s.assignments_done} of {s.assignments_max} "
            f"({s.approved} approved, {s.rejected} rejected, {s.submitted} to review)"
        )
        self.say(f"Spent: {dollars(s.spent)} (bonuses {dollars(s.spent_bonuses)})")
        self.say(f"Committed: {dollars(s.committed)}")
        self.say(f"Projected total: {dollars(s.projected_total)}")
        self.say(f"Budget: {dollars(s.budget) if s.budget is not None else 'none set'}")
        if s.budget is not None and s.projected_total > s.budget:
            self.say(
                self.style.WARNING(
                    f"Warning: the projected total exceeds the budget by "
                    f"{dollars(s.projected_total - s.budget)}: publishing stops at the budget; "
                    "raise the campaign's MTurk budget or publish fewer HITs."
                )
            )
        self.say(waiting_line(c))

    def do_approve(self, campaign, feedback, **o) -> None:
        c = self.campaign(campaign)
        self.confirm(c)
        report = review.approve_kept(MTurk(campaign=c), c, feedback=feedback)
        self.say(f"Approved {len(report.approved)} assignments.")
        for assignment_id, message in report.failed:
            self.say(f"Not approved: {assignment_id}: {message}")

    def do_reject(self, assignment, feedback, **o) -> None:
        mturk = MTurk()
        a = review.mturk_assignment(mturk, assignment)
        self.confirm(a.campaign)
        mturk.campaign = a.campaign
        review.reject(mturk, assignment, feedback)
        self.say(f"Rejected {assignment}.")

    def do_bonus(self, assignment, amount, reason, token, **o) -> None:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise CommandError(f"--amount {amount!r} is not a number of dollars.") from None
        mturk = MTurk()
        a = review.mturk_assignment(mturk, assignment)
        self.confirm(a.campaign)
        mturk.campaign = a.campaign
        bonus = review.send_bonus(mturk, assignment, value, reason, token=token)
        self.say(f"Bonus of {dollars(bonus.amount)} to {bonus.worker.external_id} sent.")

    def do_block(self, campaign, worker, failed_qc, reason, **o) -> None:
        c = self.campaign(campaign) if campaign else None
        if bool(worker) == bool(failed_qc):
            raise CommandError("Give either --worker or --campaign with --failed-qc.")
        if failed_qc:
            if c is None:
                raise CommandError("--failed-qc needs --campaign.")
            workers = review.workers_failing_qc(c)
        else:
            workers = [worker]
        if c is not None:
            self.confirm(c)
        elif live_mode() and not o.get("confirmed"):
            raise CommandError(f"Live mode: pass {CONFIRM_FLAG} or --campaign to confirm.")
        mturk = MTurk(campaign=c)
        for worker_id in workers:
            review.block_worker(mturk, worker_id, reason, campaign=c)
        self.say(f"Blocked {len(workers)} workers.")

    def do_qualify(self, campaign, worker, **o) -> None:
        c = self.campaign(campaign)
        self.confirm(c)
        review.qualify_worker(MTurk(campaign=c), c, worker)
        self.say(f"Worker {worker} has the screening qualification.")

    def do_create_qualifications(self, campaign, **o) -> None:
        c = self.campaign(campaign)
        self.confirm(c)
        for attr, value in review.create_qualification_types(MTurk(campaign=c), c).items():
            self.say(f"{attr}: {value}")

    def do_expire(self, hit, campaign, stage, **o) -> None:
        if hit:
            hits = list(Hit.objects.filter(hit_id=hit, sandbox=not live_mode()))
            if not hits:
                raise CommandError(f"No {self.environment()} HIT {hit!r} here.")
        elif campaign and stage:
            hits = list(
                Hit.objects.filter(
                    campaign=self.campaign(campaign),
                    kind=stage,
                    sandbox=not live_mode(),
                    expiration__gt=timezone.now(),
                ).order_by("pk")
            )
        else:
            raise CommandError("Give --hit, or --campaign with --stage.")
        if not hits:
            self.say("No open HITs to expire.")
            return
        self.confirm(hits[0].campaign)
        mturk = MTurk(campaign=hits[0].campaign)
        for h in tqdm(hits, desc="expiring", unit="HIT", file=sys.stderr):
            review.expire_hit(mturk, h)
        self.say(f"Expired {len(hits)} HITs.")

    def do_extend(self, hit, assignments, days, **o) -> None:
        h = Hit.objects.filter(hit_id=hit, sandbox=not live_mode()).first()
        if h is None:
            raise CommandError(f"No {self.environment()} HIT {hit!r} here.")
        self.confirm(h.campaign)
        expire_at = timezone.now() + timedelta(days=days) if days else None
        review.extend_hit(
            MTurk(campaign=h.campaign), h, assignments=assignments, expire_at=expire_at
        )
        self.say(
            f"HIT {hit}: {h.max_assignments} assignments, expires {h.expiration:%Y-%m-%d %H:%M}."
        )
