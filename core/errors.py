"""Errors a stage shell raises on bad input; commands and tasks show their message as is."""


class StageError(Exception):
    """A stage cannot run: its input is missing or its output is locked. Nothing was stored."""


class MissingInput(StageError):
    """An earlier stage has not produced what this one reads."""


class OutputLocked(StageError):
    """Replacing this stage's output would destroy later work (answers, for instance)."""
