"""Reads about the crowd's answers that the admin, the `mturk` command and the dashboard show.

Answers wait until their source is verified (crowd.models.Verification): those given through
Mechanical Turk's parameters count only once the MTurk sync has confirmed them. Until then they
are stored, shown here, and counted nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from crowd.models import Assignment, ClassifyAnswer, ContainsAnswer, Verification
from pipeline.models import Campaign


@dataclass(frozen=True)
class AnswerVerification:
    """A campaign's answers of one task kind by verification."""

    kind: str
    confirmed: int = 0
    pending: int = 0  # waiting for the MTurk sync
    unconfirmed: int = 0  # MTurk did not confirm them: never counted

    @property
    def label(self) -> str:
        return Assignment.Kind(self.kind).label


def answer_verification(campaign: Campaign) -> dict[str, AnswerVerification]:
    """CONTAINS and CLASSIFY answers of the campaign, confirmed, pending and unconfirmed (two
    GROUP BY queries)."""
    out = {}
    for kind, answers in (
        (Assignment.Kind.CONTAINS, ContainsAnswer.objects.filter(grid__campaign=campaign)),
        (Assignment.Kind.CLASSIFY, ClassifyAnswer.objects.filter(task__campaign=campaign)),
    ):
        rows = answers.order_by().values("verification").annotate(n=Count("pk"))
        counts = dict(rows.values_list("verification", "n"))
        out[kind] = AnswerVerification(
            kind,
            confirmed=counts.get(Verification.CONFIRMED, 0),
            pending=counts.get(Verification.PENDING, 0),
            unconfirmed=counts.get(Verification.UNCONFIRMED, 0),
        )
    return out


def waiting_line(campaign: Campaign) -> str:
    """One line for a researcher: answers waiting for MTurk's confirmation, and those MTurk
    did not confirm."""
    figures = answer_verification(campaign).values()
    pending = ", ".join(f"{f.label} {f.pending}" for f in figures)
    unconfirmed = ", ".join(f"{f.label} {f.unconfirmed}" for f in figures)
    return (
        f"Answers waiting for MTurk to confirm them (not counted yet): {pending}; "
        f"not confirmed by MTurk (never counted): {unconfirmed}"
    )
