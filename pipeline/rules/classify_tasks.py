"""Stage 5: planning the CLASSIFY tasks of a campaign (PIPELINE.md), as a pure function.

One task per follow-up image, showing the image's candidate labels. Workers tend to favour
the first options of a list, so each task shows them in its own shuffled order. The order
is drawn from a generator seeded with the campaign seed and the image's key, so it does
not depend on which other images are in the campaign or on the order they are processed,
and a re-run with the same seed reproduces it exactly.

Re-running the stage reconciles the stored tasks with the current follow-up images and
candidate sets. A task that is *in use* (it has answers or assignments) is never changed or
removed: its answers were given to the options it showed. Every other task is brought in
line: created, its options replaced when its candidate set changed (kept as they are when
the set is the same, so a re-run changes nothing), or removed when its image no longer goes
to CLASSIFY.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field


def option_order(labels: Sequence[int], seed: int, image_key: Hashable) -> list[int]:
    """`labels` in the shuffled order a task shows them, fixed by (seed, image_key)."""
    if len(set(labels)) != len(labels):
        raise ValueError(f"image {image_key}: a candidate label is repeated in {list(labels)}")
    order = list(labels)
    # A string seed is hashed with SHA-512 by `random`, identically on every run and machine.
    random.Random(f"classify-options/{seed}/{image_key}").shuffle(order)
    return order


@dataclass(frozen=True)
class ExistingTask:
    """A stored task: its options in shown order, and whether workers have started on it."""

    labels: tuple[int, ...]
    in_use: bool


@dataclass
class TaskPlan:
    """What a run of the stage does, image by image (image keys throughout)."""

    create: dict[Hashable, list[int]] = field(default_factory=dict)  # new task -> options
    replace: dict[Hashable, list[int]] = field(default_factory=dict)  # unused, set changed
    unchanged: list[Hashable] = field(default_factory=list)
    kept_in_use: list[Hashable] = field(default_factory=list)  # candidates changed, kept
    delete: list[Hashable] = field(default_factory=list)  # unused, no longer follow-up
    stale_in_use: list[Hashable] = field(default_factory=list)  # no longer follow-up, kept

    @property
    def tasks(self) -> int:
        """Tasks the campaign has after the run."""
        return (
            len(self.create)
            + len(self.replace)
            + len(self.unchanged)
            + len(self.kept_in_use)
            + len(self.stale_in_use)
        )


def plan_tasks(
    candidates: Mapping[Hashable, Sequence[int]],
    existing: Mapping[Hashable, ExistingTask],
    seed: int,
) -> TaskPlan:
    """Reconcile stored tasks with the follow-up images' candidate sets (module docstring).

    `candidates`: every follow-up image -> its candidate labels (order of admission);
    `existing`: the campaign's stored tasks by image.
    """
    plan = TaskPlan()
    for image, labels in candidates.items():
        if not labels:
            raise ValueError(f"image {image} goes to CLASSIFY but has no candidate labels")
        task = existing.get(image)
        if task is None:
            plan.create[image] = option_order(labels, seed, image)
        elif set(task.labels) == set(labels):
            plan.unchanged.append(image)
        elif task.in_use:
            plan.kept_in_use.append(image)
        else:
            plan.replace[image] = option_order(labels, seed, image)
    for image, task in existing.items():
        if image not in candidates:
            (plan.stale_in_use if task.in_use else plan.delete).append(image)
    return plan
