"""manage.py aggregate_votes: Dawid-Skene over the ReaL rater votes, compared with the
published scores and labels. Reads files only; no database."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from pipeline import real_votes
from pipeline.rules.dawid_skene import DEFAULT_MAX_ITERATIONS, DEFAULT_PRIOR_STRENGTH

NEEDED = (real_votes.RATERS, real_votes.SCORES, real_votes.REAL)


class Command(BaseCommand):
    help = (
        "Aggregate the ReaL rater votes of a folder (raters.npz, scores.npz, real.json, and "
        "golden.npz + raters_golden.npz as controls) with the project's Dawid-Skene model. "
        "Prints a short summary, then `questions=N pearson_vs_published=X f1_vs_real=Y "
        "seconds=S` (S: the model fit alone)."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--real", required=True, type=Path, help="the ReaL folder")
        parser.add_argument(
            "--iterations", type=int, default=DEFAULT_MAX_ITERATIONS, help="EM steps at most"
        )
        parser.add_argument(
            "--prior-strength",
            type=float,
            default=DEFAULT_PRIOR_STRENGTH,
            help="pseudo-answers pulling each rater's confusion towards the pooled one",
        )
        parser.add_argument(
            "--learn-from-votes",
            action="store_true",
            help="classical EM: every question teaches the confusions, not the controls only",
        )

    def handle(self, *args, **opts):
        folder = Path(opts["real"])
        if opts["iterations"] < 1:
            raise CommandError("--iterations must be at least 1.")
        if opts["prior_strength"] <= 0:
            raise CommandError("--prior-strength must be above 0.")
        if not folder.is_dir():
            raise CommandError(f"{folder}: no such folder.")
        missing = [name for name in NEEDED if not (folder / name).is_file()]
        if missing:
            raise CommandError(f"{folder}: missing {', '.join(missing)}.")

        start = time.perf_counter()
        try:
            votes = real_votes.load_real(folder)
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"{folder}: unreadable ReaL files ({error}).") from error
        load_seconds = time.perf_counter() - start

        start = time.perf_counter()
        result = real_votes.fit_real(
            votes,
            max_iterations=opts["iterations"],
            prior_strength=opts["prior_strength"],
            learn_from_votes=opts["learn_from_votes"],
        )
        fit_seconds = time.perf_counter() - start

        probabilities = real_votes.question_probabilities(votes, result)
        r = real_votes.pearson(probabilities, votes.published)
        f1 = real_votes.f1_vs_real(votes.info, probabilities, votes.real_labels)
        from_controls = votes.n_controls > 0 and not opts["learn_from_votes"]
        seen = result.votes_per_worker > 0
        counted = np.bincount(
            votes.workers[votes.items >= votes.n_questions], minlength=len(votes.rater_ids)
        )
        balanced = result.balanced_accuracy[seen]
        worst = np.flatnonzero(seen)[np.argmin(balanced)]
        question_votes = int(np.sum(votes.items < votes.n_questions))
        rows = [
            ("questions", f"{votes.n_questions:,}"),
            ("controls", f"{votes.n_controls:,} (golden questions, expert truth)"),
            ("votes", f"{len(votes.items):,} ({question_votes:,} on questions)"),
            ("raters", f"{int(seen.sum()):,} ({int(np.sum(seen & (counted == 0)))} no control)"),
            ("load", f"{load_seconds:.3f} s"),
            (
                "model",
                ("confusions from the controls" if from_controls else "EM over all votes")
                + f", prior strength {opts['prior_strength']:g}, prior {result.prior:.4f}",
            ),
            ("iterations", f"{result.iterations} ({'' if result.converged else 'not '}converged)"),
            ("sensitivity", _spread(result.sensitivity[seen])),
            ("specificity", _spread(result.specificity[seen])),
            (
                "balanced acc.",
                _spread(balanced) + f"; lowest: rater {votes.rater_ids[worst]}",
            ),
            ("fit", f"{fit_seconds:.3f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value}")
        self.stdout.write(
            f"questions={votes.n_questions} pearson_vs_published={r:.5f} "
            f"f1_vs_real={f1:.5f} seconds={fit_seconds:.3f}"
        )


def _spread(values: np.ndarray) -> str:
    low, median, high = np.percentile(values, [0, 50, 100])
    return f"median {median:.3f}, min {low:.3f}, max {high:.3f} (per rater)"
