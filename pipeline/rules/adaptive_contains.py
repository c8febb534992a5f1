"""Stage 2, adaptive collection: when a CONTAINS grid has enough answers.

A grid is settled when every image's selection frequency for the grid's query is clearly on
one side of every threshold the later stages compare it with, given the answers so far and
the answers still possible up to the maximum. Pure functions over per-image vote counts; no
Django. `decide` returns the CLASSIFY rule's Decision (pipeline.rules.adaptive).

The thresholds (PIPELINE.md stages 3 and 4, CampaignParams)
    - `candidate_sf_threshold` (0.5, rule 2 of the candidates, >=): for every pair.
    - `candidate_dataset_sf_floor` (1/8, rule 5 (b), <=) and zero (stage 4's "mislabeled"):
      only for pairs whose query is the image's dataset label, the only pairs they read.
    Not settled on: zero against non-zero for the other labels (rules 3 and 4 admit any
    non-zero frequency). One stray click moves a pair across it, so no number of answers
    below the maximum could ever be "clearly" on one side (3 answers with no click leave a
    41% chance of one in the next 6) and nothing would stop early; the fixed design's own
    1-of-9 pairs are that same noise.
    Ratios between labels (stage 4's "easy", the ranking of rule 5) compare pairs of other
    grids and cannot be settled by one grid; they follow from the frequencies settled here.

The answers that count
    Frequencies and the floor below weigh only the answers quality control will keep
    (pipeline.rules.contains_qc, `counted_answers`): an answer that found too few of its
    grid's controls, or whose worker is dropped, counts for no image. The worker rule reads a
    worker's answers on every grid, so it is applied to the campaign's answers so far: a
    worker may still be dropped later (or kept), which the next review sees. Every answer
    used a slot all the same, so the minimum and maximum count them all.

A floor of `easy_min_answers` (6) answers that count
    Stage 4 calls an image ambiguous when its dataset label has fewer surviving answers, and
    its "easy" check ignores labels with fewer. A grid that stopped below it would change
    stage 4's outcome whatever its votes say, so no grid settles while any of its images has
    fewer answers that count (a minimum under it publishes fewer answers first, and asks for
    the rest at once).

The risk: the remaining answers under a Polya urn, as for CLASSIFY
    With s of n answers selecting an image and r = maximum - answers still possible, the
    number x of the r that will select it is Beta-binomial(r, s + PRIOR, n - s + PRIOR) (each
    future answer selects with the urn's current share; Jeffreys prior 0.5). The pair's risk
    is the chance that (s + x) / (n + r) lands on another side of a threshold than s / n;
    the grid's risk is the chance that any pair moves, 1 - prod(1 - risk), images being
    independent. A worst-case bound (stop when no x at all can move a pair) stops only when
    r is tiny: 3 unanimous answers of 9 can still end at 3/9 or 9/9, across 0.5, so it would
    save nothing. The grid stops when its risk is at most MAX_RISK (0.05, the CLASSIFY rule's).

How many more
    The fewest m such that m more answers agreeing with each pair's current majority would
    settle the grid (r when none would), as the CLASSIFY rule asks for the fewest answers of
    a type seen; below the floor, what reaches it if all of them count.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from scipy.stats import betabinom

from pipeline.params import PAPER, CampaignParams
from pipeline.rules.adaptive import MAX_RISK, PRIOR, Decision, check_bounds
from pipeline.rules.contains_qc import GridAnswer, control_quality


@dataclass(frozen=True)
class PairVotes:
    """One image of the grid: answers that selected it, answers that count for it, and
    whether the grid's query is the image's dataset label."""

    selected: int
    answers: int
    dataset_label: bool = False


def counted_answers(
    answers: Iterable[GridAnswer],
    params: CampaignParams = PAPER,
    worker_accuracy: Mapping[Hashable, float] | None = None,
) -> set[Hashable]:
    """Ids of the answers quality control keeps, judged on the campaign's answers so far (all
    of them: the worker rule reads every grid of a worker)."""
    return control_quality(answers, params, worker_accuracy).kept_answer_ids()


def counted_pairs(
    tested: Sequence[tuple[Hashable, bool]],
    selections: Mapping[Hashable, Collection[Hashable]],
    counted: Collection[Hashable],
) -> list[PairVotes]:
    """Each tested image's votes from the grid's answers that count.

    `tested`: (item, whether the grid's query is the image's dataset label) per tested image;
    `selections`: answer id -> the items it selected, for every answer of the grid;
    `counted`: the answers that count (`counted_answers`)."""
    kept = [items for answer, items in selections.items() if answer in counted]
    return [PairVotes(sum(item in s for s in kept), len(kept), own) for item, own in tested]


def sides(selected: int, answers: int, dataset_label: bool, params: CampaignParams) -> tuple:
    """Which side of each threshold the frequency selected / answers is on (None: no answer)."""
    if not answers:
        return (None,)
    sf = selected / answers
    out: tuple = (sf >= params.candidate_sf_threshold,)
    if dataset_label:
        out += (sf <= params.candidate_dataset_sf_floor, selected == 0)
    return out


def pair_risk(
    votes: PairVotes, remaining: int, params: CampaignParams = PAPER, prior: float = PRIOR
) -> float:
    """Chance that `remaining` more answers move the pair across a threshold (module
    docstring); 0 when nothing remains."""
    if remaining <= 0:
        return 0.0
    s, n = votes.selected, votes.answers
    now = sides(s, n, votes.dataset_label, params)
    moved = [
        x
        for x in range(remaining + 1)
        if sides(s + x, n + remaining, votes.dataset_label, params) != now
    ]
    if not moved:
        return 0.0
    return float(betabinom.pmf(moved, remaining, s + prior, n - s + prior).sum())


def grid_risk(
    pairs: Sequence[PairVotes],
    remaining: int,
    params: CampaignParams = PAPER,
    prior: float = PRIOR,
) -> float:
    """Chance that `remaining` more answers move any pair of the grid."""
    stay = 1.0
    for votes in pairs:
        stay *= 1.0 - pair_risk(votes, remaining, params, prior)
    return 1.0 - stay


def _after(pairs: Sequence[PairVotes], more: int) -> list[PairVotes]:
    """The pairs after `more` answers that agree with each pair's current majority."""
    return [
        PairVotes(
            p.selected + (more if 2 * p.selected >= p.answers > 0 else 0),
            p.answers + more,
            p.dataset_label,
        )
        for p in pairs
    ]


def decide(
    pairs: Sequence[PairVotes],
    answers: int,
    minimum: int,
    maximum: int,
    params: CampaignParams = PAPER,
    max_risk: float = MAX_RISK,
) -> Decision:
    """Stop, or how many more answers to ask for, given a grid's votes so far.

    `answers`: all the grid's answers, including those quality control drops (they used up a
    slot); `pairs`: each tested image's votes from the answers that count (`counted_pairs`).
    """
    check_bounds(minimum, maximum)
    if answers >= maximum:
        return Decision(0, None, "maximum reached")
    if answers < minimum:
        return Decision(minimum - answers, None, "minimum not reached")
    floor = min(params.easy_min_answers, maximum)
    fewest = min((p.answers for p in pairs), default=floor)
    if fewest < floor:
        more = min(floor - fewest, maximum - answers)
        return Decision(more, None, "fewer answers than stage 4 trusts")
    remaining = maximum - answers
    risk = grid_risk(pairs, remaining, params)
    if risk <= max_risk:
        return Decision(0, risk, "settled")
    for more in range(1, remaining):
        if grid_risk(_after(pairs, more), remaining - more, params) <= max_risk:
            return Decision(more, risk, "unsettled")
    return Decision(remaining, risk, "unsettled")
