"""Score predictors (models, human-accuracy sessions) with multi-label accuracy."""

from __future__ import annotations

import math
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from catalogue.models import Dataset
from core.commands import FinelabelCommand
from review import human, score_report, selectors
from review.models import EvaluationSlice
from review.services import queue_predictions
from review.truth import EXPERT_SET, expert_set, resolve_sets


def percent(value: float) -> str:
    return "   n/a" if math.isnan(value) else f"{100 * value:5.1f}"


def interval(low: float, high: float) -> str:
    return f"[{percent(low).strip()}, {percent(high).strip()}]"


class Command(FinelabelCommand):
    help = (
        "Multi-label accuracy with 95% Clopper-Pearson intervals per slice (all, dogs, other "
        "organisms, objects; problematic images apart) and McNemar's test between every pair. "
        "A prediction is right iff its label is marked correct (an unclear label is scored, "
        "not right); +uncl% also accepts unclear labels. Predictions nobody has judged are "
        "counted, not scored, and queued for review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--models",
            required=True,
            help="Comma-separated model names, or human:<session> for a human-accuracy session.",
        )
        parser.add_argument(
            "--ground-truth",
            required=True,
            help="Comma-separated ground-truth sets, later ones winning (e.g. real or crowd-1).",
        )
        parser.add_argument("--slice", help="Score on this named evaluation slice only.")
        parser.add_argument("--dataset", help="Score on this dataset's images only.")
        parser.add_argument(
            "--no-expert",
            action="store_true",
            help=f"Do not add the panel's set ({EXPERT_SET}) last.",
        )
        parser.add_argument(
            "--no-queue", action="store_true", help="Do not queue unjudged predictions."
        )
        parser.add_argument(
            "--class-bootstrap",
            type=int,
            nargs="?",
            const=1000,
            default=0,
            metavar="N",
            help="Also give 95%% intervals over N resamples of the classes (default 1000) of "
            "each accuracy and of each pair's difference (Shankar et al.).",
        )
        parser.add_argument("--json", type=Path, help="Also write the report as JSON.")

    def handle(self, *args, **options) -> None:
        predictors = [m.strip() for m in options["models"].split(",") if m.strip()]
        names = [n.strip() for n in options["ground_truth"].split(",") if n.strip()]
        if not options["no_expert"] and EXPERT_SET not in names:
            names.append(EXPERT_SET)
        if EXPERT_SET in names:
            expert_set()  # the panel's set exists once anyone scores against it
        sets = resolve_sets(names)
        dataset = self._get(Dataset, options["dataset"], "dataset")
        evaluation_slice = self._get(EvaluationSlice, options["slice"], "slice")
        known = set(selectors.predictor_names())
        unknown = [p for p in predictors if p not in known]
        if unknown:
            raise CommandError(f"No predictions for {', '.join(unknown)}.")
        if options["class_bootstrap"] < 0:
            raise CommandError("--class-bootstrap takes a positive number of resamples.")
        report = selectors.compute_scores(predictors, sets, dataset, evaluation_slice)
        self._print(report, [s.name for s in sets])
        self._print_extra(report, sets, dataset, evaluation_slice, options)
        self._print_times(predictors)
        if not options["no_queue"]:
            images = selectors.images_for(dataset, evaluation_slice)
            by_model = {p: selectors.predictions_for(p, images) for p in predictors}
            pairs = {pair for p in predictors for pair in report.scores[p].unreviewed}
            created = queue_predictions(pairs, by_model)
            self.stdout.write(
                f"unjudged predictions: {len(pairs)} unique (image, label), {created} newly "
                "queued for review"
            )

    def _get(self, model, name, what):
        if not name:
            return None
        obj = model.objects.filter(name=name).first()
        if obj is None:
            raise CommandError(f"No {what} {name!r}.")
        return obj

    def _print_extra(self, report, sets, dataset, evaluation_slice, options) -> None:
        """The class bootstrap when asked for, the accuracy before and after the review, and
        the JSON report (review.score_report)."""
        extra = {}
        if options["class_bootstrap"]:
            extra["class_bootstrap"] = score_report.class_bootstrap_section(
                report, options["class_bootstrap"], self.stdout.write
            )
        effect = score_report.review_effect_section(
            report, sets, dataset, evaluation_slice, self.stdout.write
        )
        if effect:
            extra["before_after_review"] = effect
        if options["json"]:
            data = score_report.report_json(report, [s.name for s in sets], extra)
            score_report.write_json(options["json"], data)
            self.stdout.write(f"-> {options['json']}")

    def _print_times(self, predictors: list[str]) -> None:
        """Each human session's time per image, beside the crowd's on its dataset."""
        for name, session in human.human_sessions(predictors).items():
            crowd = human.crowd_time(session.dataset)
            self.stdout.write(f"time per image {name}: {human.session_time(session).text()}")
            for kind, summary in crowd.items():
                self.stdout.write(f"  crowd {kind.upper()} on {session.dataset}: {summary.text()}")

    def _print(self, report: selectors.ScoreReport, sets: list[str]) -> None:
        out = self.stdout.write
        out(f"{report.images} images; ground truth: {', '.join(sets)}")
        for name in report.random_weights:
            out(f"warning: {name} has predictions from random weights")
        out(
            f"{'predictor':<28} {'slice':<12} {'acc%':>6} {'95% CI':>14} {'+uncl%':>6} "
            f"{'95% CI':>14} {'right':>7} {'scored':>7} {'unclear':>7} {'unrev.':>7} {'no GT':>6} "
            f"{'top1%':>6}"
        )
        for row in report.rows():
            ci = interval(row["ci_low"], row["ci_high"])
            ci_u = interval(row["ci_low_with_unclear"], row["ci_high_with_unclear"])
            out(
                f"{row['predictor']:<28} {row['slice']:<12} {percent(row['accuracy']):>6} "
                f"{ci:>14} {percent(row['accuracy_with_unclear']):>6} {ci_u:>14} "
                f"{row['right']:>7} {row['scored']:>7} {row['unclear']:>7} "
                f"{row['unreviewed']:>7} {row['no_truth']:>6} "
                f"{percent(row['top1_accuracy']):>6}"
            )
        for (a, b), paired in report.pairs.items():
            out(
                f"McNemar {a} vs {b}: {paired.images} images, only {a} right "
                f"{paired.only_a}, only {b} right {paired.only_b}, p = {paired.pvalue:.4g}"
            )
