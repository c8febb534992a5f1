"""What a submit sends, checked before anything is read or stored: who submits (Submitter)
and the values of the answer. A value that is not what the page sends is refused as
malformed (SubmissionError), with words fit to show the sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import FinelabelError
from crowd.models import Verification, Worker

# What MTurk puts in assignmentId while a worker only previews a HIT.
PREVIEW_ASSIGNMENT_ID = "ASSIGNMENT_ID_NOT_AVAILABLE"
MAX_ID_LENGTH = 128
# A day: anything longer is not a time on task but a broken clock or a forged value.
MAX_DURATION_MS = 24 * 3600 * 1000


class SubmissionError(FinelabelError):
    """A submission was refused; `message` says why, in words fit to show the sender."""

    def __init__(self, message: str, code: str | None = None, status: int = 400):
        super().__init__(message, code)
        self.status = status


@dataclass(frozen=True)
class Submitter:
    """Who submits: the worker and the assignment, as MTurk (or a local invite) names them."""

    worker_id: str
    assignment_id: str
    hit_id: str = ""
    source: str = Worker.Source.MTURK

    @property
    def verification(self) -> str:
        """How the answer is stored: an invite's is verified by its signature, an MTurk
        worker's waits for MTurk (crowd.services.answers)."""
        if self.source == Worker.Source.MTURK:
            return Verification.PENDING
        return Verification.CONFIRMED


def check_submitter(submitter: Submitter) -> None:
    if submitter.assignment_id == PREVIEW_ASSIGNMENT_ID:
        raise SubmissionError("This is a preview: accept the HIT before submitting.", "preview")
    checked_text(submitter.worker_id, "worker id")
    checked_text(submitter.assignment_id, "assignment id")
    if not isinstance(submitter.hit_id, str) or len(submitter.hit_id) > MAX_ID_LENGTH:
        raise SubmissionError("The HIT id is malformed.", "malformed")
    if submitter.source not in Worker.Source.values:
        raise SubmissionError(f"Unknown worker source {submitter.source!r}.", "malformed")


def checked_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise SubmissionError(f"The {what} is missing or malformed.", "malformed")
    return value


def checked_position(value: Any, what: str) -> int:
    # bool is an int in Python; true/false in a JSON body is malformed, not position 1/0.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SubmissionError(f"The {what} must be a non-negative integer.", "malformed")
    return value


def checked_positions(values: Any, what: str) -> list[int]:
    if not isinstance(values, list):
        raise SubmissionError(f"'{what}' must be a list of integers.", "malformed")
    chosen = [checked_position(v, what) for v in values]
    if len(set(chosen)) != len(chosen):
        raise SubmissionError(f"'{what}' lists a position twice.", "malformed")
    return chosen


def checked_duration(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DURATION_MS:
        raise SubmissionError(
            f"The time on task must be an integer number of milliseconds between 0 and "
            f"{MAX_DURATION_MS}.",
            "malformed",
        )
    return value
