"""`manage.py replay_adaptive`: adaptive CLASSIFY collection replayed on recorded answers.

Reads CLASSIFY records shaped like shared/datasets/classify_dev.jsonl, feeds each
image's answers in the file's order to the stopping policy of `pipeline.rules.adaptive` (the
code a campaign runs), and compares the aggregate of the answers the policy would have
collected with the aggregate of all the image's answers. The issue's three baselines run
beside it on the same records, and the same again over random answer orders (seeded), so
every ratio printed compares figures measured in the same run. Touches no database.

Output: a table (one row per policy: answers collected, share saved, agreement on number of
objects + main label + object labels, agreement on the full partition, publishing rounds per
image, then the means over the random orders), the chosen policy's ratios against each
baseline, a line for its full-partition agreement, one for its mean over the random orders,
and last `images=N answers_saved=X agreement=Y` for the chosen policy (`--policy`, default
the project's).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from core.commands import FinelabelCommand
from pipeline.replay import ReplayError, read_records
from pipeline.rules.adaptive import MAX_ANSWERS, MAX_RISK, MIN_ANSWERS, PRIOR
from pipeline.rules.adaptive_replay import POLICY_NAMES, ReplayFigures, policies, replay


class Command(FinelabelCommand):
    help = (
        "Replay adaptive collection of CLASSIFY answers: for each image of a JSONL file of "
        "answers (as classify_dev.jsonl), how many answers the stopping policy would have "
        "collected and whether their aggregate matches the aggregate of all answers; the "
        "issue's baselines beside it, in file order and over random answer orders. Needs no "
        "database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="JSONL file of answers.")
        parser.add_argument(
            "--policy",
            choices=POLICY_NAMES,
            default="adaptive",
            help="Policy whose figures end the output (default: adaptive, the project's).",
        )
        parser.add_argument(
            "--baselines",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Run the other policies beside it (default: yes).",
        )
        parser.add_argument(
            "--minimum",
            type=int,
            default=MIN_ANSWERS,
            help=f"Answers a task is published with (default {MIN_ANSWERS}).",
        )
        parser.add_argument(
            "--maximum",
            type=int,
            default=MAX_ANSWERS,
            help=f"Answers at most per task (default {MAX_ANSWERS}); an image with fewer "
            "answers in the file has its own number as maximum.",
        )
        parser.add_argument(
            "--max-risk",
            type=float,
            default=MAX_RISK,
            help="Adaptive policy: stop when the remaining answers change the outcome with "
            f"at most this chance (default {MAX_RISK}).",
        )
        parser.add_argument(
            "--prior",
            type=float,
            default=PRIOR,
            help=f"Adaptive policy: pseudo-answers per answer type seen (default {PRIOR}).",
        )
        parser.add_argument(
            "--orders", type=int, default=10, help="Random answer orders to average (10)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random orders.")

    def handle(self, *args, **opts) -> None:
        source = Path(opts["input"])
        minimum, maximum, orders = opts["minimum"], opts["maximum"], opts["orders"]
        if not 1 <= minimum <= maximum:
            raise CommandError(f"need 1 <= --minimum <= --maximum, got {minimum} and {maximum}")
        if not 0 <= opts["max_risk"] < 1 or opts["prior"] <= 0:
            raise CommandError("need 0 <= --max-risk < 1 and --prior > 0")
        if orders < 0:
            raise CommandError(f"--orders must be 0 or more, got {orders}")
        records = self._records(source)
        named = policies(minimum, opts["max_risk"], opts["prior"])
        chosen = opts["policy"]
        if not opts["baselines"]:
            named = {chosen: named[chosen]}

        with tqdm(
            total=len(records) * (1 + orders),
            unit="img",
            desc="replay",
            file=sys.stderr,
            disable=opts["verbosity"] < 1,
        ) as bar:
            in_order = replay(records, named, maximum, progress=bar.update)
            shuffled = []
            for order in range(orders):
                rng = random.Random(f"{opts['seed']}:{order}")
                shuffled.append(replay(records, named, maximum, rng.shuffle, bar.update))

        mine = in_order[chosen]
        self.stdout.write(
            f"{source}: {mine.images} images, {mine.answers} answers; minimum {minimum}, "
            f"maximum {maximum}; adaptive: max risk {opts['max_risk']}, prior {opts['prior']}; "
            f"file order" + (f" and {orders} random orders (seed {opts['seed']})" if orders else "")
        )
        self._table(in_order, shuffled)
        for name, other in in_order.items():
            if name != chosen:
                self.stdout.write(_ratio_line(chosen, mine, name, other))
        self.stdout.write(
            f"partition_agreement={mine.partition_agreement:.4f} (the full partition into "
            "objects, labels selected once included)"
        )
        if shuffled:
            runs = [figures[chosen] for figures in shuffled]
            agreements = [run.agreement for run in runs]
            self.stdout.write(
                f"mean over {orders} random orders (seed {opts['seed']}): "
                f"answers_saved={_mean(r.saved for r in runs):.4f} "
                f"agreement={statistics.fmean(agreements):.4f} "
                f"partition_agreement={_mean(r.partition_agreement for r in runs):.4f} "
                f"(agreement {min(agreements):.4f} to {max(agreements):.4f})"
            )
        self.stdout.write(
            f"images={mine.images} answers_saved={mine.saved:.4f} agreement={mine.agreement:.4f}"
        )

    def _records(self, source: Path) -> list[dict]:
        if not source.is_file():
            raise CommandError(f"No such input file: {source}")
        try:
            with source.open(encoding="utf-8") as lines:
                records = list(read_records(lines))
        except ReplayError as error:
            raise CommandError(f"{source}: {error}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{source}: not UTF-8 text ({error.reason})") from error
        if not records:
            raise CommandError(f"{source}: no records")
        return records

    def _table(self, in_order: dict[str, ReplayFigures], shuffled: list[dict]) -> None:
        header = (
            f"{'policy':<18} {'answers':>8} {'saved':>7} {'agreement':>9} {'partition':>9} "
            f"{'rounds':>6}"
        )
        if shuffled:
            header += f"  | {len(shuffled)} orders: {'saved':>7} {'agreement':>9} {'partition':>9}"
        self.stdout.write(header)
        for name, figures in in_order.items():
            row = (
                f"{name:<18} {figures.collected:>8} {figures.saved:>7.4f} "
                f"{figures.agreement:>9.4f} {figures.partition_agreement:>9.4f} "
                f"{figures.rounds / figures.images:>6.2f}"
            )
            if shuffled:
                runs = [order[name] for order in shuffled]
                row += (
                    f"  | {'':>{len(str(len(shuffled))) + 8}} "
                    f"{_mean(r.saved for r in runs):>7.4f} "
                    f"{_mean(r.agreement for r in runs):>9.4f} "
                    f"{_mean(r.partition_agreement for r in runs):>9.4f}"
                )
            self.stdout.write(row)


def _mean(values) -> float:
    return statistics.fmean(values)


def _ratio_line(name: str, mine: ReplayFigures, other_name: str, other: ReplayFigures) -> str:
    """`name` against `other_name`, measured in the same run."""
    saved = f"x{mine.saved / other.saved:.2f}" if other.saved else "n/a"
    wrong, other_wrong = mine.images - mine.agree, other.images - other.agree
    errors = f"x{wrong / other_wrong:.2f}" if other_wrong else "n/a"
    return (
        f"{name} vs {other_name}: answers saved {saved} ({mine.saved:.4f} / {other.saved:.4f}), "
        f"disagreeing images {errors} ({wrong} / {other_wrong})"
    )
