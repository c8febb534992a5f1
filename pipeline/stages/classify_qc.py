"""Stage 5 shell: quality control of a campaign's CLASSIFY answers.

Loads every answer to the campaign's tasks, runs `pipeline.rules.classify_qc.run_classify_qc`
with the campaign's threshold (rule 2 looks at each worker across all tasks, so it runs on
the whole campaign at once) and writes each answer's `qc_status` and `qc_reason` in one
transaction, a few bulk UPDATEs (one per outcome and reason, one per dropped worker) of the
answers whose outcome changed.
A re-run recomputes every answer's status from scratch, so answers that arrived since the
last run are included and the result does not depend on the previous one.

Stored outcomes (`qc_reason` starts with the reason code, then words for the admin):
- kept: `kept`, no reason;
- flagged by rule 1: `dropped_answer`, `no_label_selected: ...` or `main_not_selected: ...`
  (with `; worker dropped ...` appended when the worker was dropped too);
- dropped by rule 2 only: `dropped_worker`, `worker_flagged_share: F of N answers flagged
  (more than 1/3)`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction

from django.db import transaction

from crowd.models import ClassifyAnswer, ClassifyAnswerLabel, QcStatus, Verification
from pipeline.models import Campaign, StageRun
from pipeline.params import exact_fraction
from pipeline.rules import classify_qc as core
from pipeline.rules.classify_qc import FlagReason, Outcome
from pipeline.stages.runs import report_progress, stage_run

Progress = Callable[[int, int], object]
WORKER_REASON = "worker_flagged_share"
REASON_TEXT = {
    FlagReason.NO_LABEL_SELECTED: "no valid label selected",
    FlagReason.MAIN_NOT_SELECTED: "main label not among the selected labels",
}
STATUS = {
    Outcome.KEPT: QcStatus.KEPT,
    Outcome.FLAGGED_INVALID: QcStatus.DROPPED_ANSWER,
    Outcome.DROPPED_WORKER: QcStatus.DROPPED_WORKER,
}
UPDATE_CHUNK = 10_000


@dataclass(frozen=True)
class QcSummary:
    answers: int
    kept: int
    by_reason: dict[str, int] = field(default_factory=dict)  # reason code -> answers
    workers: int = 0
    dropped_workers: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(self.by_reason.items())) or "none"
        return (
            f"{self.answers} CLASSIFY answers checked: {self.kept} kept; not used by reason: "
            f"{reasons}; {self.dropped_workers} of {self.workers} workers dropped"
        )


# --- selectors ------------------------------------------------------------------------


def answer_labels(answers) -> dict[int, list[int]]:
    """Answer id -> selected label ids, in the order they were stored."""
    labels: dict[int, list[int]] = defaultdict(list)
    rows = (
        ClassifyAnswerLabel.objects.filter(answer__in=answers)
        .order_by("answer_id", "pk")
        .values_list("answer_id", "label_id")
    )
    for answer, label in rows.iterator(chunk_size=20_000):
        labels[answer].append(label)
    return labels


def campaign_answers(
    campaign: Campaign,
) -> tuple[list[core.ClassifyAnswer], dict[int, tuple[str, str]]]:
    """Every confirmed answer to the campaign's CLASSIFY tasks (crowd.models.Verification:
    those waiting for MTurk to confirm them do not count), in submission order, and each one's
    stored (qc_status, qc_reason)."""
    answers = ClassifyAnswer.objects.filter(
        task__campaign=campaign, verification=Verification.CONFIRMED
    )
    labels = answer_labels(answers)
    rows = answers.order_by("submitted_at", "pk").values_list(
        "pk", "worker_id", "main_label_id", "qc_status", "qc_reason"
    )
    found, stored = [], {}
    for pk, worker, main, status, reason in rows.iterator(chunk_size=20_000):
        found.append(core.ClassifyAnswer(pk, worker, tuple(labels.get(pk, ())), main))
        stored[pk] = (status, reason)
    return found, stored


# --- services -------------------------------------------------------------------------


def stored_outcome(
    outcome: core.AnswerOutcome, result: core.ClassifyQCResult, threshold: Fraction
) -> tuple[str, str]:
    """(qc_status, qc_reason) of one answer."""
    worker = result.workers[outcome.answer.worker_id]
    dropped = (
        f"{worker.flagged} of {worker.answers} answers flagged (more than {threshold})"
        if worker.dropped
        else ""
    )
    if outcome.outcome is Outcome.FLAGGED_INVALID:
        reason = f"{outcome.reason.value}: {REASON_TEXT[outcome.reason]}"
        if dropped:
            reason += f"; worker dropped, {dropped}"
        return STATUS[outcome.outcome], reason
    if outcome.outcome is Outcome.DROPPED_WORKER:
        return STATUS[outcome.outcome], f"{WORKER_REASON}: {dropped}"
    return STATUS[outcome.outcome], ""


def run_qc(campaign: Campaign, progress: Progress | None = None) -> QcSummary:
    """Quality control of all the campaign's CLASSIFY answers; stores each outcome."""
    params = campaign.params
    with stage_run(campaign, StageRun.Stage.CLASSIFY_QC) as run:
        answers, stored = campaign_answers(campaign)
        result = core.run_classify_qc(answers, params)
        threshold = exact_fraction(params.classify_qc_worker_flagged_share)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_reason: Counter[str] = Counter()
        for outcome in result.outcomes:
            status, reason = stored_outcome(outcome, result, threshold)
            if reason:
                by_reason[reason.split(":", 1)[0]] += 1
            if stored[outcome.answer.answer_id] != (status, reason):  # re-runs write little
                groups[status, reason].append(outcome.answer.answer_id)
        total, done = sum(map(len, groups.values())), 0  # answers whose outcome changed
        with transaction.atomic():
            # An answer judged before MTurk took back its confirmation is not judged any more.
            ClassifyAnswer.objects.filter(task__campaign=campaign).exclude(
                verification=Verification.CONFIRMED
            ).exclude(qc_status=QcStatus.PENDING).update(qc_status=QcStatus.PENDING, qc_reason="")
            for (status, reason), ids in groups.items():
                for start in range(0, len(ids), UPDATE_CHUNK):
                    chunk = ids[start : start + UPDATE_CHUNK]
                    ClassifyAnswer.objects.filter(pk__in=chunk).update(
                        qc_status=status, qc_reason=reason
                    )
                    done += len(chunk)
                    report_progress(run, done, total)
                    if progress:
                        progress(done, total)
        summary = QcSummary(
            answers=len(answers),
            kept=result.count(Outcome.KEPT),
            by_reason=dict(by_reason),
            workers=len(result.workers),
            dropped_workers=len(result.dropped_workers),
        )
        run.message = str(summary)
    return summary
