"""Stage 5 quality control for CLASSIFY answers (PIPELINE.md, "Quality control for CLASSIFY").

Two rules, applied in this order, as a pure function over plain answers:

1. An answer is *flagged* when it selects no valid label, or when its main label is not among
   the labels it marked valid (a missing main label counts as not among them). The paper
   ignores such answers.
2. A worker with more than `CampaignParams.classify_qc_worker_flagged_share` (a third in the
   paper) of their answers flagged is unreliable: all of that worker's answers are ignored.
   "More than" is strict, so a worker at exactly the threshold keeps the good answers. The
   share is compared as an exact fraction (the float parameter is read as the simple
   fraction it stands for, 1/3 for the paper's value) so that e.g. 2 of 6 flagged is never
   dropped, nor 3 of 8 kept, through a rounding error.

Every answer keeps its outcome and the reason for it, so that the dashboard can show why an
answer was not used and a re-run gives the same result: `kept`, `flagged_invalid` (with the
reason: `no_label_selected` or `main_not_selected`) or `dropped_worker`. A flagged answer of
a dropped worker stays `flagged_invalid` (its own reason is the more specific one) and has
`worker_dropped` set, like every answer of that worker.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from pipeline.params import PAPER, CampaignParams, exact_fraction


class Outcome(enum.StrEnum):
    KEPT = "kept"
    FLAGGED_INVALID = "flagged_invalid"
    DROPPED_WORKER = "dropped_worker"


class FlagReason(enum.StrEnum):
    NO_LABEL_SELECTED = "no_label_selected"
    MAIN_NOT_SELECTED = "main_not_selected"


@dataclass(frozen=True)
class ClassifyAnswer:
    """One worker's answer to one CLASSIFY task, as submitted."""

    answer_id: Hashable
    worker_id: Hashable
    selected: tuple[int, ...]
    main: int | None


@dataclass(frozen=True)
class AnswerOutcome:
    answer: ClassifyAnswer
    outcome: Outcome
    reason: FlagReason | None = None  # set for flagged_invalid only
    worker_dropped: bool = False

    @property
    def kept(self) -> bool:
        return self.outcome is Outcome.KEPT


@dataclass(frozen=True)
class WorkerQuality:
    worker_id: Hashable
    answers: int
    flagged: int
    dropped: bool

    @property
    def flagged_share(self) -> Fraction:
        return Fraction(self.flagged, self.answers)


@dataclass(frozen=True)
class ClassifyQCResult:
    outcomes: tuple[AnswerOutcome, ...]  # in input order
    workers: dict[Hashable, WorkerQuality]

    def kept(self) -> list[ClassifyAnswer]:
        """The answers that go on to aggregation, in input order."""
        return [o.answer for o in self.outcomes if o.kept]

    @property
    def dropped_workers(self) -> frozenset[Hashable]:
        return frozenset(w.worker_id for w in self.workers.values() if w.dropped)

    def count(self, outcome: Outcome) -> int:
        return sum(o.outcome is outcome for o in self.outcomes)


def flag_reason(answer: ClassifyAnswer) -> FlagReason | None:
    """Why rule 1 flags the answer, or None when it is valid."""
    if not answer.selected:
        return FlagReason.NO_LABEL_SELECTED
    if answer.main is None or answer.main not in answer.selected:
        return FlagReason.MAIN_NOT_SELECTED
    return None


def worker_is_dropped(flagged: int, answers: int, threshold: Fraction) -> bool:
    """Rule 2: strictly more than the threshold share of a worker's answers flagged."""
    return answers > 0 and Fraction(flagged, answers) > threshold


def _worker_quality(
    answers: Sequence[ClassifyAnswer], reasons: Sequence[FlagReason | None], threshold: Fraction
) -> dict[Hashable, WorkerQuality]:
    totals: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    for answer, reason in zip(answers, reasons, strict=True):
        totals[answer.worker_id][0] += 1
        totals[answer.worker_id][1] += reason is not None
    return {
        worker: WorkerQuality(worker, total, flagged, worker_is_dropped(flagged, total, threshold))
        for worker, (total, flagged) in totals.items()
    }


def _outcome(
    answer: ClassifyAnswer, reason: FlagReason | None, worker: WorkerQuality
) -> AnswerOutcome:
    if reason is not None:
        return AnswerOutcome(answer, Outcome.FLAGGED_INVALID, reason, worker.dropped)
    if worker.dropped:
        return AnswerOutcome(answer, Outcome.DROPPED_WORKER, None, True)
    return AnswerOutcome(answer, Outcome.KEPT)


def run_classify_qc(
    answers: Iterable[ClassifyAnswer], params: CampaignParams = PAPER
) -> ClassifyQCResult:
    """Apply both CLASSIFY quality-control rules to a campaign's answers.

    Give it all of the campaign's answers at once: rule 2 looks at each worker's answers
    across every task.
    """
    answers = list(answers)
    reasons = [flag_reason(answer) for answer in answers]
    threshold = exact_fraction(params.classify_qc_worker_flagged_share)
    workers = _worker_quality(answers, reasons, threshold)
    outcomes = tuple(
        _outcome(answer, reason, workers[answer.worker_id])
        for answer, reason in zip(answers, reasons, strict=True)
    )
    return ClassifyQCResult(outcomes=outcomes, workers=workers)
