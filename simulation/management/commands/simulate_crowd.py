"""`manage.py simulate_crowd --campaign ID --stage contains|classify [--url URL]`: a simulated
crowd answering a campaign's tasks through the HIT pages and submit endpoints
(simulation.http_crowd): in process without --url, over HTTP against a running server with it.

The crowd's accuracy (--hit-rate, --false-rate) and think time (--think-ms) go to the answer
models: simulation.contains_model.CrowdModel for CONTAINS, simulation.classify_model.CrowdModel (and
crowd_http's think time per option) for CLASSIFY. Every option is checked before anything is
stored."""

from __future__ import annotations

import dataclasses
import math
import time

from django.core.management.base import CommandError
from tqdm import tqdm

from core.commands import FinelabelCommand
from core.errors import StageError
from pipeline.selectors import get_campaign
from simulation import classify_model
from simulation import contains_model as simulate
from simulation.contains_crowd import simulate_contains
from simulation.http_crowd import (
    CLASSIFY_MS_PER_OPTION,
    MODES,
    CrowdError,
    crowd_classify,
    crowd_contains,
    transport_for,
)

CLASSIFY_DEFAULT = classify_model.CrowdModel()
RATES = ("hit_rate", "false_rate", "spread", "extra_true", "mislabeled")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_options(options: dict) -> None:
    """CommandError naming the option for any value out of range, before anything is read or
    stored."""
    for name in RATES:
        value = options.get(name)
        if value is not None and not 0.0 <= value <= 1.0:  # NaN fails too
            raise CommandError(f"{_flag(name)} is a probability between 0 and 1, not {value}")
    think = options.get("think_ms")
    if think is not None and not (think >= 0.0 and math.isfinite(think)):
        raise CommandError(f"--think-ms is a time in milliseconds, 0 or more, not {think}")
    if not options["real_time"] >= 0.0:
        raise CommandError(f"--real-time cannot be negative, not {options['real_time']}")
    if options["threads"] < 1:
        raise CommandError(f"--threads must be at least 1, not {options['threads']}")
    if options.get("workers") is not None and options["workers"] < 1:
        raise CommandError(f"--workers must be at least 1, not {options['workers']}")
    if options.get("direct") and options.get("url"):
        raise CommandError("--direct writes to the database: it takes no --url")
    if options.get("direct") and options["stage"] == "classify":
        raise CommandError("use `manage.py simulate_classify` to write CLASSIFY answers directly")
    spammers = options.get("spammers")
    if options["stage"] == "contains":
        if spammers is not None and not 0.0 <= spammers <= 1.0:
            raise CommandError(
                f"--spammers for CONTAINS is a share of the crowd between 0 and 1, not {spammers}"
            )
        kinds = [k.strip() for k in options["spammer_kinds"].split(",") if k.strip()]
        unknown = sorted(set(kinds) - set(simulate.SPAMMER_KINDS))
        if unknown or not kinds:
            raise CommandError(
                f"--spammer-kinds takes kinds among {','.join(simulate.SPAMMER_KINDS)}, "
                f"not {options['spammer_kinds']!r}"
            )
    elif spammers is not None and (spammers < 0 or spammers != int(spammers)):
        raise CommandError("--spammers for CLASSIFY is a number of workers (0, 1, 2...)")


def contains_crowd(options: dict) -> simulate.CrowdModel:
    """The CONTAINS answer model with the command's rates and think time."""
    given = {
        "hit_rate": options.get("hit_rate"),
        "false_rate": options.get("false_rate"),
        "spread": options.get("spread"),
        "ms_per_image": options.get("think_ms"),
    }
    return dataclasses.replace(
        simulate.DEFAULT_CROWD, **{k: v for k, v in given.items() if v is not None}
    )


def classify_crowd(options: dict, spammers: int) -> classify_model.CrowdModel:
    """The CLASSIFY answer model with `spammers` spammers and the command's rates: the hit
    rate is the chance to notice each true object (main and others alike), the false rate the
    chance of a stray label."""
    given: dict = {"spammers": spammers}
    if options.get("hit_rate") is not None:
        given["see_main"] = given["see_other"] = options["hit_rate"]
    if options.get("false_rate") is not None:
        given["extra"] = options["false_rate"]
    return dataclasses.replace(CLASSIFY_DEFAULT, **given)


class Command(FinelabelCommand):
    help = (
        "Answer a campaign's CONTAINS grids or CLASSIFY tasks with a simulated crowd (honest "
        "workers, spammers, workers who ignore controls) that opens each HIT page and posts "
        "its answer to the submit endpoint, up to the campaign's answers per task. Without "
        "--url the endpoints run in this process (Django's handler, no socket); re-running "
        "fills only tasks that are not full."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="campaign id or name")
        parser.add_argument("--stage", choices=["contains", "classify"], default="contains")
        parser.add_argument(
            "--spammers",
            type=float,
            help="CONTAINS: share of spammers (default 0.1); CLASSIFY: their number (default 2)",
        )
        parser.add_argument(
            "--spammer-kinds",
            default=",".join(simulate.DEFAULT_SPAMMERS),
            help=f"CONTAINS, comma-separated, among {','.join(simulate.SPAMMER_KINDS)}",
        )
        parser.add_argument(
            "--workers", type=int, help="CONTAINS crowd size (default ~40 grids each)"
        )
        parser.add_argument(
            "--hit-rate",
            type=float,
            help="probability that an honest worker selects what is there: in CONTAINS an "
            f"image that holds the query (default {simulate.DEFAULT_CROWD.hit_rate}, each "
            "worker's own within --spread of it); in CLASSIFY a label for each true object "
            f"offered (default {CLASSIFY_DEFAULT.see_main} for the main object, "
            f"{CLASSIFY_DEFAULT.see_other} for the others)",
        )
        parser.add_argument(
            "--false-rate",
            type=float,
            help="probability that an honest worker selects what is not there: in CONTAINS an "
            f"image that does not hold the query (default {simulate.DEFAULT_CROWD.false_rate}); "
            f"in CLASSIFY a stray option (default {CLASSIFY_DEFAULT.extra})",
        )
        parser.add_argument(
            "--spread",
            type=float,
            help="CONTAINS: how far each honest worker's hit rate (and a quarter as far its "
            "false rate) strays from the crowd's, at most (default "
            f"{simulate.DEFAULT_CROWD.spread}; 0: every honest worker has exactly the rates)",
        )
        parser.add_argument(
            "--think-ms",
            type=float,
            help="honest workers' median think time in ms per image shown in CONTAINS (default "
            f"{simulate.DEFAULT_CROWD.ms_per_image:.0f}) or per option read in CLASSIFY "
            f"(default {CLASSIFY_MS_PER_OPTION:.0f}, the picture takes twice it); spammers are "
            "quicker; 0: no think time (answers stored without one)",
        )
        parser.add_argument("--seed", type=int, help="default: the campaign's seed")
        parser.add_argument("--url", help="a running server's origin, e.g. http://127.0.0.1:8000")
        parser.add_argument("--threads", type=int, default=4, help="parallel workers with --url")
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="invite",
            help="open pages by simulated-worker invite links, or with MTurk's parameters on a "
            "simulated MTurk market whose sync confirms the answers (stores MTurk workers and "
            "sandbox HITs: not on a campaign published on MTurk)",
        )
        parser.add_argument(
            "--real-time",
            type=float,
            default=0.0,
            help="sleep each think time times this factor before submitting (default: no wait)",
        )
        parser.add_argument(
            "--direct",
            action="store_true",
            help="CONTAINS: write the answers straight to the database (paper-scale speed)",
        )
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

    def handle(self, *args, campaign: str, **options):
        check_options(options)
        target = get_campaign(campaign)
        stage = options["stage"]
        started = time.perf_counter()
        with tqdm(
            desc=f"answering {stage}", unit="answer", disable=options["verbosity"] == 0
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                if stage == "contains":
                    line = self.contains(target, options, progress)
                else:
                    line = self.classify(target, options, progress)
            except (StageError, ValueError, CrowdError, OSError) as exc:
                raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{line} in {seconds:.1f} s"))

    def contains(self, campaign, options, progress) -> str:
        kinds = tuple(k.strip() for k in options["spammer_kinds"].split(",") if k.strip())
        share = 0.1 if options["spammers"] is None else options["spammers"]
        common = dict(
            spammer_share=share,
            seed=options["seed"],
            workers=options["workers"],
            spammer_kinds=kinds,
            crowd_model=contains_crowd(options),
            extra_true_rate=options["extra_true"],
            mislabeled_rate=options["mislabeled"],
            progress=progress,
        )
        if options["direct"]:
            result = simulate_contains(campaign, **common)
            how = "written directly"
        else:
            result = crowd_contains(campaign, **self.transport(options), **common)
            how = "through the endpoints"
        spam = ", ".join(f"{len(ids)} {kind}" for kind, ids in sorted(result.spammers.items()))
        return (
            f"Simulated {result.answers} CONTAINS answers ({result.selections} selections) on "
            f"{result.grids_filled} grids by {result.workers} workers ({spam or 'no'} "
            f"spammers), {how}"
        )

    def classify(self, campaign, options, progress) -> str:
        spammers = 2 if options["spammers"] is None else options["spammers"]
        think = options["think_ms"]
        summary = crowd_classify(
            campaign,
            spammers=int(spammers),
            seed=options["seed"],
            model=classify_crowd(options, int(spammers)),
            ms_per_option=CLASSIFY_MS_PER_OPTION if think is None else think,
            progress=progress,
            **self.transport(options),
        )
        return f"Simulated {summary}, through the endpoints"

    @staticmethod
    def transport(options) -> dict:
        return {
            "transport": transport_for(options["url"]),
            "mode": options["mode"],
            "threads": options["threads"] if options["url"] else 1,
            "real_time": options["real_time"],
        }
