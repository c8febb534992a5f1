"""`manage.py classify --campaign ID STEP`: stages 5 and 6 of a campaign.

STEP is a stage's name (pipeline.flow.CLASSIFY) or all:
- classify_tasks: a CLASSIFY task per follow-up image, candidates shown in a shuffled order;
- classify_qc: quality control of the answers submitted so far;
- aggregation: final labels (objects, main label) of every image;
- all: the three in turn.
The older step names (tasks, qc, aggregate) still work. Progress bars on stderr, a summary
line per step on stdout. A simulated crowd answers with `manage.py simulate_classify`.
"""

from __future__ import annotations

from core.commands import FinelabelCommand, ProgressBars
from pipeline import flow
from pipeline.selectors import get_campaign

OLD_NAMES = {"tasks": "classify_tasks", "qc": "classify_qc", "aggregate": "aggregation"}


class Command(FinelabelCommand):
    help = (
        "Run the CLASSIFY stage and the aggregation of a campaign: create its tasks "
        "(classify_tasks), check the answers (classify_qc), aggregate them into objects and "
        "main labels (aggregation), or all three."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", required=True, help="Campaign id or name.")
        parser.add_argument("step", choices=[*flow.CLASSIFY, "all", *OLD_NAMES])

    def handle(self, *args, **opts) -> None:
        campaign = get_campaign(opts["campaign"])
        step = OLD_NAMES.get(opts["step"], opts["step"])
        names = flow.CLASSIFY if step == "all" else (step,)
        bars = ProgressBars(opts["verbosity"] >= 1)
        try:
            summaries = flow.run_stages(campaign, names, progress_for=bars)
        finally:
            bars.close()
        for name, summary in summaries.items():
            self.stdout.write(self.style.SUCCESS(f"{name}: {summary}"))
