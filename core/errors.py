"""The project's errors: one base, shown the same way everywhere.

A FinelabelError is something the user can act on; its message says what is wrong and what to
do, in words fit to show them. Commands print it as one line (core.commands), the API and the
HIT endpoints answer it as `{"error": message, "code": code}` with its HTTP status
(core.http). Nothing was stored by the call that raised it.
"""

from __future__ import annotations


class FinelabelError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(FinelabelError):
    status = 404
    code = "not_found"


class StageError(FinelabelError):
    """A stage cannot run: its input is missing or its output is locked."""

    status = 409
    code = "stage"


class MissingInput(StageError):
    """An earlier stage has not produced what this one reads."""


class OutputLocked(StageError):
    """Replacing this stage's output would destroy later work (answers, for instance)."""
