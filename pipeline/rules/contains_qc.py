"""Quality control of CONTAINS answers, from the controls each answer found (PIPELINE.md).

Controls are images whose dataset label is the grid's query: an attentive worker selects most
of them. Two rules, applied in this order:

1. Worker rule. A grid answer is *bad* when it selected fewer than `qc_worker_control_rate`
   (20%) of its grid's controls, strictly: with 5 controls, 0 found is bad and 1 (exactly 20%)
   is not. A worker whose bad answers make up `qc_worker_bad_grid_share` (half) or more of
   their answers, inclusively (1 bad of 2 drops the worker), loses every answer, whatever each
   one found: status `dropped_worker`.
2. Grid rule. Each remaining answer that selected fewer than `qc_grid_control_rate` (40%) of
   its controls, strictly, is dropped: status `dropped_grid` (with 5 controls, 2 found is kept,
   1 is dropped).

3. Estimated accuracy (optional, off by default: the paper's rules stay the rules). With
   `qc_min_worker_accuracy` set and each worker's accuracy estimated by Dawid-Skene
   (pipeline.rules.contains_votes, on every answer, with or without controls), a worker under
   the bound, strictly, is dropped as by rule 1 (`dropped_by` tells which rule). It judges
   workers whose grids hold no control, whom rules 1 and 2 cannot see.

Thresholds are compared exactly, in integers: each one is read as the nearest fraction with a
denominator up to 10,000 (0.2 is 1/5, 0.4 is 2/5, 0.5 is 1/2), so `found / controls < 1/5`
is decided as `found * 5 < controls` with no floating-point rounding at the boundary.

"The grids that worker did" are that worker's answers (one per grid on Mechanical Turk).

Grids without controls. An answer on a grid with no control cannot be judged (grids.py flags
such grids and avoids them where the classes allow). It is kept by rule 2, does not count
towards its worker's share in rule 1 (neither bad nor good), and is dropped only when its
worker is dropped by rule 1 on the strength of their other answers. Its outcome says so with
`control_rate=None`, and the report counts such answers as `unchecked`. Dropping them instead
would erase the only measurement of every pair in such a grid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from pipeline.params import PAPER, CampaignParams, exact_fraction

KEPT = "kept"
DROPPED_WORKER = "dropped_worker"
DROPPED_GRID = "dropped_grid"


class Status(StrEnum):
    KEPT = KEPT
    DROPPED_WORKER = DROPPED_WORKER
    DROPPED_GRID = DROPPED_GRID


@dataclass(frozen=True)
class GridAnswer:
    """One worker's answer on one grid, reduced to what quality control needs."""

    answer_id: Hashable
    worker_id: Hashable
    grid_id: Hashable
    n_controls: int  # controls shown in the grid
    n_controls_selected: int  # of those, how many this answer selected


@dataclass(frozen=True)
class AnswerOutcome:
    answer_id: Hashable
    worker_id: Hashable
    grid_id: Hashable
    status: Status
    control_rate: float | None  # found / controls of this answer; None: grid without controls
    worker_bad_share: float | None  # the worker's bad answers / judged answers; None: none judged
    worker_accuracy: float | None = None  # estimated (rule 3); None: not estimated
    dropped_by: str | None = None  # the worker's: "controls" (rule 1) or "accuracy" (rule 3)

    @property
    def kept(self) -> bool:
        return self.status is Status.KEPT


@dataclass(frozen=True)
class QualityReport:
    outcomes: list[AnswerOutcome]  # one per answer, in input order
    dropped_workers: list[Hashable]  # in order of first appearance
    counts: dict[str, int]  # kept, dropped_worker, dropped_grid, unchecked (kept, no controls)

    def kept_answer_ids(self) -> set[Hashable]:
        return {outcome.answer_id for outcome in self.outcomes if outcome.kept}


def control_quality(
    answers: Iterable[GridAnswer],
    params: CampaignParams = PAPER,
    worker_accuracy: Mapping[Hashable, float] | None = None,
) -> QualityReport:
    """Apply the rules (module docstring) to every answer of a CONTAINS campaign; rule 3 with
    `worker_accuracy` (estimated, per worker) and params.qc_min_worker_accuracy both given."""
    answers = list(answers)
    _validate(answers)
    worker_rate = exact_fraction(params.qc_worker_control_rate)
    grid_rate = exact_fraction(params.qc_grid_control_rate)
    shares = _worker_bad_shares(answers, worker_rate)
    dropped = _dropped_workers(shares, exact_fraction(params.qc_worker_bad_grid_share))
    accuracy = worker_accuracy or {}
    bound = params.qc_min_worker_accuracy
    low = {w for w, a in accuracy.items() if bound is not None and a < bound}
    by = {worker: "controls" for worker in dropped}
    for answer in answers:
        if answer.worker_id in low and answer.worker_id not in by:
            dropped[answer.worker_id] = None
            by[answer.worker_id] = "accuracy"
    outcomes = [
        replace(
            _outcome(answer, shares, dropped, grid_rate),
            worker_accuracy=accuracy.get(answer.worker_id),
            dropped_by=by.get(answer.worker_id),
        )
        for answer in answers
    ]
    return QualityReport(outcomes, list(dropped), _counts(outcomes))


def _validate(answers: list[GridAnswer]) -> None:
    seen: set[Hashable] = set()
    for answer in answers:
        if answer.answer_id in seen:
            raise ValueError(f"answer {answer.answer_id!r} appears twice")
        seen.add(answer.answer_id)
        if not 0 <= answer.n_controls_selected <= answer.n_controls:
            raise ValueError(
                f"answer {answer.answer_id!r}: {answer.n_controls_selected} controls selected "
                f"of {answer.n_controls}"
            )


def _below(selected: int, controls: int, rate: Fraction) -> bool:
    """selected / controls < rate, in integers."""
    return selected * rate.denominator < rate.numerator * controls


def _worker_bad_shares(answers: list[GridAnswer], rate: Fraction) -> dict[Hashable, Fraction]:
    """Per worker with judged answers: bad answers / answers on grids with controls."""
    bad: dict[Hashable, int] = defaultdict(int)
    judged: dict[Hashable, int] = defaultdict(int)
    for answer in answers:
        if answer.n_controls:
            judged[answer.worker_id] += 1
            bad[answer.worker_id] += _below(answer.n_controls_selected, answer.n_controls, rate)
    return {worker: Fraction(bad[worker], n) for worker, n in judged.items()}


def _dropped_workers(shares: dict[Hashable, Fraction], share: Fraction) -> dict[Hashable, None]:
    """Workers whose share of bad answers is `share` or more (an ordered set)."""
    return {worker: None for worker, bad in shares.items() if bad >= share}


def _outcome(
    answer: GridAnswer,
    shares: dict[Hashable, Fraction],
    dropped: dict[Hashable, None],
    grid_rate: Fraction,
) -> AnswerOutcome:
    controls, selected = answer.n_controls, answer.n_controls_selected
    if answer.worker_id in dropped:
        status = Status.DROPPED_WORKER
    elif controls and _below(selected, controls, grid_rate):
        status = Status.DROPPED_GRID
    else:
        status = Status.KEPT
    share = shares.get(answer.worker_id)
    return AnswerOutcome(
        answer.answer_id,
        answer.worker_id,
        answer.grid_id,
        status,
        control_rate=selected / controls if controls else None,
        worker_bad_share=float(share) if share is not None else None,
    )


def _counts(outcomes: list[AnswerOutcome]) -> dict[str, int]:
    counts = {KEPT: 0, DROPPED_WORKER: 0, DROPPED_GRID: 0, "unchecked": 0}
    for outcome in outcomes:
        counts[outcome.status.value] += 1
        counts["unchecked"] += outcome.kept and outcome.control_rate is None
    return counts
