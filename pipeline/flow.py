"""The CONTAINS stage end to end for one campaign: grids -> (simulated) answers -> quality
control -> selection frequencies -> candidate sets -> inclusion. The demo and the `contains
all` command call `run_contains`; each step is also a function of its own module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crowd.models import ContainsGrid
from pipeline.models import Campaign
from pipeline.stages import candidates, contains_qc, grids, selection_frequencies
from simulation.contains_crowd import SimulationResult, simulate_contains
from simulation.http_crowd import crowd_contains

Log = Callable[[str], None]


@dataclass
class ContainsResult:
    grids: grids.GridsResult | None  # None: the grids existed already and were kept
    simulation: SimulationResult | None
    qc: contains_qc.QcResult
    frequencies: selection_frequencies.FrequencyResult
    candidates: candidates.CandidatesResult
    inclusion: candidates.InclusionResult


SHOWN_WARNINGS = 5  # a small dataset warns for hundreds of labels; the run keeps them all


def ensure_grids(campaign: Campaign, log: Log = lambda _: None) -> grids.GridsResult | None:
    """Build the grids unless the campaign has some already (answered or not)."""
    count = ContainsGrid.objects.filter(campaign=campaign).count()
    if count:
        log(f"Grids: keeping the {count} existing grids.")
        return None
    result = grids.build_grids(campaign)
    log(f"Grids: {result.grids} grids for {result.pairs} image-label pairs.")
    for warning in result.warnings[:SHOWN_WARNINGS]:
        log(f"  warning: {warning}")
    if len(result.warnings) > SHOWN_WARNINGS:
        hidden = len(result.warnings) - SHOWN_WARNINGS
        log(f"  ... and {hidden} more warnings: every one is in the grids run's message (admin).")
    return result


def run_contains(
    campaign: Campaign,
    simulate: bool = True,
    spammer_share: float = 0.1,
    seed: int | None = None,
    truth: dict[int, frozenset[int]] | None = None,
    include_controls: bool = False,
    log: Log = lambda _: None,
    direct: bool = False,
) -> ContainsResult:
    """Carry a campaign through stages 2-4. With `simulate`, a simulated crowd fills every grid
    up to `contains_assignments` answers first (`truth`: image -> true labels, drawn when not
    given), answering through the HIT pages and submit endpoints in process
    (simulation.http_crowd), or with `direct` written straight to the database (faster, for
    paper-scale data); without `simulate`, the answers already stored are used."""
    built = ensure_grids(campaign, log)
    simulation = None
    if simulate:
        simulate_with = simulate_contains if direct else crowd_contains
        simulation = simulate_with(campaign, spammer_share=spammer_share, seed=seed, truth=truth)
        log(
            f"Simulated crowd: {simulation.answers} answers by {simulation.workers} workers "
            f"({sum(map(len, simulation.spammers.values()))} spammers)."
        )
    qc = contains_qc.run_qc(campaign)
    log(f"Quality control: {qc.counts}, {qc.dropped_workers} workers dropped.")
    freqs = selection_frequencies.compute_frequencies(campaign, include_controls)
    log(f"Selection frequencies: {freqs.pairs} pairs.")
    cands = candidates.compute_candidates(campaign)
    log(f"Candidates: {cands.candidates} for {cands.images} images, by rule {cands.by_rule}.")
    incl = candidates.compute_inclusion(campaign)
    log(f"Inclusion: {incl.counts}.")
    return ContainsResult(built, simulation, qc, freqs, cands, incl)
