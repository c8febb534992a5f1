"""The base of the project's management commands, and their progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.errors import FinelabelError


class FinelabelCommand(BaseCommand):
    """A FinelabelError ends the command with its message on one line, not a traceback."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except FinelabelError as exc:
            raise CommandError(exc.message) from exc


class ProgressBars:
    """A tqdm bar per step on stderr, opened on the first report (when the total is known)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, step: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            bar = self.bars.get(step)
            if bar is None:
                bar = self.bars[step] = tqdm(
                    total=total, desc=step, file=sys.stderr, disable=not self.enabled
                )
            bar.total = total
            bar.update(done - bar.n)

        return report

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
