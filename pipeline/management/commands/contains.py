"""`manage.py contains --campaign ID STEP`: stages 2 to 4, one at a time or all.

STEP is a stage's name (pipeline.flow.CONTAINS): grids, contains_qc, selection_frequencies,
dawid_skene, candidates, inclusion; or all. The older step names (build-grids, qc,
frequencies) still work.
"""

from __future__ import annotations

import time

from tqdm import tqdm

from core.commands import FinelabelCommand
from pipeline import flow
from pipeline.selectors import get_campaign
from pipeline.stages import (
    candidates,
    contains_qc,
    dawid_skene,
    grids,
    inclusion,
    selection_frequencies,
)

OLD_NAMES = {"build-grids": "grids", "qc": "contains_qc", "frequencies": "selection_frequencies"}


class Command(FinelabelCommand):
    help = (
        "Run a step of the CONTAINS side of a campaign: grids (pack and store the grids), "
        "contains_qc (quality control of the answers), selection_frequencies, dawid_skene "
        "(probabilities and worker accuracies, beside the frequencies), candidates "
        "(candidate sets), inclusion (which images go on to CLASSIFY), or all (the grids when "
        "the campaign has none, then the others in order)."
    )

    def add_arguments(self, parser):
        parser.add_argument("step", choices=[*flow.CONTAINS, "all", *OLD_NAMES])
        parser.add_argument("--campaign", required=True, help="campaign id or name")
        parser.add_argument(
            "--include-controls",
            action="store_true",
            help="count answers on controls in the selection frequencies (off by default)",
        )

    def handle(self, *args, step: str, campaign: str, include_controls: bool, **options):
        self.campaign = get_campaign(campaign)
        self.include_controls = include_controls
        self.verbosity = options["verbosity"]
        self.quiet = self.verbosity == 0
        if step == "all":
            flow.ensure_grids(self.campaign, self.stdout.write)
            for name in flow.CONTAINS[1:]:
                self.run_step(name)
        else:
            self.run_step(OLD_NAMES.get(step, step))

    def run_step(self, step: str) -> None:
        started = time.perf_counter()
        getattr(self, "step_" + step)()
        self.stdout.write(f"  ({time.perf_counter() - started:.1f} s)")

    def step_grids(self) -> None:
        with tqdm(desc="storing grids", unit="grid", disable=self.quiet) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            result = grids.build_grids(self.campaign, progress)
        s = result.summary
        self.stdout.write(
            self.style.SUCCESS(
                f"Grids: {result.grids} grids, {result.pairs} image-label pairs, "
                f"{result.items} items (replaced {result.replaced} unanswered grids)"
            )
        )
        self.stdout.write(
            f"  size {s.size_min}-{s.size_max}, controls {s.controls_min}-{s.controls_max} "
            f"(histogram {s.controls_histogram}); {s.grids_short_of_controls} short of "
            f"controls, {s.grids_without_controls} without; {result.control_only_images} "
            "images used only as controls"
        )
        shown = len(result.warnings) if self.verbosity > 1 else flow.SHOWN_WARNINGS
        for line in flow.warning_lines(result.warnings, shown):
            self.stdout.write(self.style.WARNING("  " + line))

    def step_contains_qc(self) -> None:
        result = contains_qc.run_qc(self.campaign)
        c = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Quality control: {result.answers} answers, {c['kept']} kept "
                f"({c['unchecked']} unchecked: grid without controls)"
            )
        )
        self.stdout.write(
            f"  dropped: {c['dropped_worker']} with their worker ({result.dropped_workers} "
            f"workers), {c['dropped_grid']} for too few controls found"
        )

    def step_selection_frequencies(self) -> None:
        result = selection_frequencies.compute_frequencies(self.campaign, self.include_controls)
        self.stdout.write(
            self.style.SUCCESS(
                f"Selection frequencies: {result.pairs} pairs, {result.pairs_without_answers} "
                f"without a kept answer (controls counted: {result.include_controls})"
            )
        )
        if result.pending_answers:
            self.stdout.write(
                self.style.WARNING(
                    f"  {result.pending_answers} answers not checked by quality control were "
                    "not counted: run the contains_qc step"
                )
            )

    def step_dawid_skene(self) -> None:
        result = dawid_skene.compute_probabilities(self.campaign)
        self.stdout.write(self.style.SUCCESS(f"Dawid-Skene: {result}"))

    def step_candidates(self) -> None:
        result = candidates.compute_candidates(self.campaign)
        self.stdout.write(
            self.style.SUCCESS(
                f"Candidates: {result.candidates} for {result.images} images; by rule "
                f"{result.by_rule}; truncated {result.truncated}; sizes {result.sizes}"
            )
        )

    def step_inclusion(self) -> None:
        result = inclusion.compute_inclusion(self.campaign)
        counts = ", ".join(f"{n} {category}" for category, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Inclusion of {result.images} images: {counts}"))
