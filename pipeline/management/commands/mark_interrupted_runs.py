"""`manage.py mark_interrupted_runs`: mark failed the stage runs whose process was killed."""

from __future__ import annotations

from core.commands import FinelabelCommand
from pipeline.stages.runs import interrupted_runs, mark_interrupted_runs, stale_after


class Command(FinelabelCommand):
    help = (
        "Mark FAILED every stage run still recorded as running whose process stopped without "
        "closing it (killed, out of memory, machine lost): no heartbeat for "
        "FINELABEL_STAGE_RUN_STALE_AFTER seconds. Runs still beating, on any worker, are left "
        "alone. Safe to run at any time; the web container runs it at start."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List the runs, change nothing.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        runs = list(interrupted_runs().select_related("campaign").order_by("started_at"))
        for run in runs:
            beat = f"{run.heartbeat_at:%Y-%m-%d %H:%M:%S}" if run.heartbeat_at else "never"
            self.stdout.write(
                f"run {run.pk}: {run.campaign} {run.stage}, started "
                f"{run.started_at:%Y-%m-%d %H:%M:%S}, last heartbeat {beat}"
            )
        if dry_run:
            self.stdout.write(f"{len(runs)} interrupted run(s); --dry-run: none marked")
            return
        marked = mark_interrupted_runs()
        silent = int(stale_after().total_seconds())
        self.stdout.write(f"{marked} interrupted run(s) marked failed (silent over {silent} s)")
