"""A simulated crowd for CLASSIFY tasks: a pure answer model, no database.

Lets a campaign run to final labels without real workers (the demo, tests, load checks).
Each task is an image with the options it shows and its true objects: a list of objects,
each a tuple of labels that name it (the first one best), the main object first unless
`main_object` says otherwise. Labels of the true objects that the task does not offer
cannot be selected.

Honest workers follow the rules with human noise:
- each true object offered by the task is noticed with probability `see_main` (the main
  object) or `see_other` (the others); a noticed object gets one label: its best offered
  label, or with probability `confuse` another option (a fine-grained confusion);
- with probability `extra` a further option is selected by mistake;
- a worker who noticed nothing still selects one label (the main object's, or any option);
- the main label is the one chosen for the main object (else the first selected); with
  probability `slip` the worker forgets to tick it as valid, which breaks a rule.

Spammers break the rules: with probability `spam_empty` they submit no valid label, else a
random subset of options and a main label drawn from all options, often not among them.

Every task gets `answers_per_task` (or its own `answers`) distinct workers drawn from the
pool (honest workers and spammers alike). Draws come from a generator seeded per task with
(seed, task key), so a task's answers do not depend on the other tasks.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SimTask:
    key: Hashable
    options: tuple[int, ...]
    objects: tuple[tuple[int, ...], ...]  # true objects, each named by one or more labels
    main_object: int = 0
    answers: int | None = None  # answers wanted for this task; None: answers_per_task


@dataclass(frozen=True)
class CrowdModel:
    honest_workers: int = 20
    spammers: int = 0
    see_main: float = 0.97
    see_other: float = 0.85
    confuse: float = 0.1
    extra: float = 0.05
    slip: float = 0.02
    spam_empty: float = 0.3

    def __post_init__(self) -> None:
        for name in ("see_main", "see_other", "confuse", "extra", "slip", "spam_empty"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value}")
        if self.honest_workers < 0 or self.spammers < 0:
            raise ValueError("worker counts cannot be negative")

    def workers(self) -> list[str]:
        """Worker keys of the pool: `honest-NN` then `spam-NN`."""
        return [f"honest-{i:02d}" for i in range(self.honest_workers)] + [
            f"spam-{i:02d}" for i in range(self.spammers)
        ]


@dataclass(frozen=True)
class SimAnswer:
    task_key: Hashable
    worker: str
    selected: tuple[int, ...]
    main: int | None

    @property
    def spammer(self) -> bool:
        return self.worker.startswith("spam-")


def _honest(task: SimTask, model: CrowdModel, rng: random.Random) -> tuple[tuple[int, ...], int]:
    offered = set(task.options)
    chosen: dict[int, int] = {}  # object index -> label chosen for it
    for index, names in enumerate(task.objects):
        names = [label for label in names if label in offered]
        see = model.see_main if index == task.main_object else model.see_other
        if not names or rng.random() >= see:
            continue
        label = names[0]
        if rng.random() < model.confuse:
            label = rng.choice(task.options)
        if label not in chosen.values():
            chosen[index] = label
    selected = list(chosen.values())
    if rng.random() < model.extra:
        spare = [label for label in task.options if label not in selected]
        if spare:
            selected.append(rng.choice(spare))
    if not selected:
        main_names = [label for label in task.objects[task.main_object] if label in offered]
        selected.append(main_names[0] if main_names else rng.choice(task.options))
    main = chosen.get(task.main_object, selected[0])
    return tuple(selected), main


def _spam(task: SimTask, model: CrowdModel, rng: random.Random) -> tuple[tuple[int, ...], int]:
    main = rng.choice(task.options)
    if rng.random() < model.spam_empty:
        return (), main
    size = rng.randint(1, len(task.options))
    return tuple(rng.sample(task.options, size)), main


def answer(
    task: SimTask, worker: str, model: CrowdModel, rng: random.Random
) -> tuple[tuple[int, ...], int | None]:
    """One worker's (selected, main) for a task."""
    if worker.startswith("spam-"):
        return _spam(task, model, rng)
    selected, main = _honest(task, model, rng)
    if rng.random() < model.slip:
        others = [label for label in task.options if label not in selected]
        main = rng.choice(others) if others else None
    return selected, main


def simulate(
    tasks: Iterable[SimTask], answers_per_task: int, model: CrowdModel, seed: int = 0
) -> list[SimAnswer]:
    """Answers of the simulated crowd to every task, task by task."""
    pool = model.workers()
    answers = []
    for task in tasks:
        _check(task)
        wanted = answers_per_task if task.answers is None else task.answers
        if wanted > len(pool):
            raise ValueError(
                f"{wanted} answers per task need as many workers; the pool has {len(pool)}"
            )
        rng = random.Random(f"simulate-classify/{seed}/{task.key}")
        for worker in rng.sample(pool, wanted):
            selected, main = answer(task, worker, model, rng)
            answers.append(SimAnswer(task.key, worker, selected, main))
    return answers


def _check(task: SimTask) -> None:
    if not task.options:
        raise ValueError(f"task {task.key} has no options")
    if not 0 <= task.main_object < max(len(task.objects), 1) or not task.objects:
        raise ValueError(f"task {task.key}: main object {task.main_object} is not an object")
