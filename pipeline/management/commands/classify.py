"""`manage.py classify --campaign ID tasks|qc|aggregate|all`: stages 5 and 6 of a campaign.

- tasks: a CLASSIFY task per follow-up image, candidates shown in a shuffled order;
- qc: quality control of the answers submitted so far;
- aggregate: final labels (objects, main label) of every image;
- all: the three in turn (with --simulate, simulated answers between tasks and qc).

Progress bars on stderr, a summary line per step on stdout.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pipeline.classify_flow import run_classify_to_labels
from pipeline.models import Campaign
from pipeline.stages.aggregation import aggregate_campaign
from pipeline.stages.classify_qc import run_qc
from pipeline.stages.classify_tasks import ClassifyStageError, create_classify_tasks

STEPS = {"tasks": create_classify_tasks, "qc": run_qc, "aggregate": aggregate_campaign}


def campaign_arg(value: str) -> Campaign:
    """A campaign by id (or by name), with a clear error."""
    campaign = Campaign.objects.filter(pk=int(value)).first() if value.isdigit() else None
    campaign = campaign or Campaign.objects.filter(name=value).first()
    if campaign is None:
        raise CommandError(f"No campaign with id or name {value!r}")
    return campaign


class ProgressBars:
    """A tqdm bar per step, opened on the first report (when the total is known)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, step: str):
        def report(done: int, total: int) -> None:
            bar = self.bars.get(step)
            if bar is None:
                bar = self.bars[step] = tqdm(
                    total=total, desc=step, file=sys.stderr, disable=not self.enabled
                )
            bar.total = total
            bar.update(done - bar.n)

        return report

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class Command(BaseCommand):
    help = (
        "Run the CLASSIFY stage and the aggregation of a campaign: create its tasks, check "
        "the answers, aggregate them into objects and main labels, or all three."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="Campaign id (or name).")
        parser.add_argument("step", choices=[*STEPS, "all"])
        parser.add_argument(
            "--simulate",
            action="store_true",
            help="with 'all': answer the tasks with the simulated crowd before QC",
        )
        parser.add_argument("--spammers", type=int, default=2, help="simulated spammers")
        parser.add_argument("--seed", type=int, default=None, help="simulation seed")

    def handle(self, *args, **opts) -> None:
        campaign = campaign_arg(opts["campaign"])
        bars = ProgressBars(opts["verbosity"] >= 1)
        try:
            if opts["step"] == "all":
                summaries = run_classify_to_labels(
                    campaign,
                    simulate=opts["simulate"],
                    spammers=opts["spammers"],
                    seed=opts["seed"],
                    progress_for=bars,
                )
            else:
                step = opts["step"]
                summaries = {step: STEPS[step](campaign, bars(step))}
        except ClassifyStageError as error:
            raise CommandError(str(error)) from error
        finally:
            bars.close()
        for step, summary in summaries.items():
            self.stdout.write(self.style.SUCCESS(f"{step}: {summary}"))
