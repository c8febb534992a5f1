"""A simulated crowd for CONTAINS grids: the answer model, pure (no ORM, no I/O).

Ground truth is a set of true labels per image (`draw_truth`: the dataset label, except for
a share of deliberately mislabeled images, plus each other potential label with some
probability: a second object). Workers are of these kinds:

- honest: selects an image with probability `hit_rate` when the query is one of its true
  labels and `false_rate` when it is not; each honest worker's rates are drawn around the
  crowd's (`spread`), so some are sharper than others;
- random: a careless clicker who selects each image with probability `spam_rate` (0.1),
  whatever it shows;
- none: submits without selecting anything;
- all: selects every image;
- ignore_controls: answers the controls (images of the grid whose dataset label is the
  query) like the random clicker and every other image honestly, as a worker who has learnt
  to skip the easy-looking images would.

Quality control as the paper defines it looks only at how many controls a worker found, so
it catches random, none and ignore_controls (they find few controls) but cannot catch "all"
(it finds every control); "all" is therefore not among the default spammer kinds, and the
simulator's tests record that limit.

Every answer also gets a think time: a log-normal around the worker's own pace per image
(none at all when the crowd's `ms_per_image` is 0). Everything is drawn from one
`random.Random`, so a seed reproduces the crowd and answers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass

HONEST = "honest"
RANDOM = "random"
NONE = "none"
ALL = "all"
IGNORE_CONTROLS = "ignore_controls"
SPAMMER_KINDS = (RANDOM, NONE, ALL, IGNORE_CONTROLS)
DEFAULT_SPAMMERS = (RANDOM, NONE)


@dataclass(frozen=True)
class CrowdModel:
    """How the simulated crowd behaves; defaults give a plausible crowd."""

    hit_rate: float = 0.85  # honest: P(select | query is a true label)
    false_rate: float = 0.04  # honest: P(select | query is not a true label)
    spread: float = 0.08  # honest workers' rates vary by up to this much
    spam_rate: float = 0.1  # random spammers: P(select) for any image
    ms_per_image: float = 900.0  # median think time per image shown; 0: no think time

    def __post_init__(self) -> None:
        for name in ("hit_rate", "false_rate", "spam_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, got {value}")
        if not 0.0 <= self.spread <= 1.0:
            raise ValueError(f"spread must be between 0 and 1, got {self.spread}")
        if not self.ms_per_image >= 0.0:  # also refuses NaN
            raise ValueError(f"ms_per_image cannot be negative, got {self.ms_per_image}")


DEFAULT_CROWD = CrowdModel()


@dataclass(frozen=True)
class SimWorker:
    key: str  # stable handle, becomes the worker's external id
    kind: str  # HONEST or one of SPAMMER_KINDS
    hit_rate: float
    false_rate: float
    ms_per_image: float

    @property
    def spammer(self) -> bool:
        return self.kind != HONEST


def make_crowd(
    n_workers: int,
    spammer_share: float,
    rng: random.Random,
    model: CrowdModel = DEFAULT_CROWD,
    spammer_kinds: Sequence[str] = DEFAULT_SPAMMERS,
    prefix: str = "sim",
) -> list[SimWorker]:
    """`n_workers` workers, round(n * share) of them spammers cycling through the kinds."""
    if n_workers < 1:
        raise ValueError("a crowd needs at least one worker")
    if not 0.0 <= spammer_share <= 1.0:
        raise ValueError(f"spammer share {spammer_share} is not between 0 and 1")
    unknown = set(spammer_kinds) - set(SPAMMER_KINDS)
    if unknown or not spammer_kinds:
        raise ValueError(f"spammer kinds must be among {SPAMMER_KINDS}, got {spammer_kinds}")
    n_spam = round(n_workers * spammer_share)
    kinds = [spammer_kinds[i % len(spammer_kinds)] for i in range(n_spam)]
    kinds += [HONEST] * (n_workers - n_spam)
    rng.shuffle(kinds)
    crowd = []
    for i, kind in enumerate(kinds):
        hit, false = _rates(kind, model, rng)
        pace = model.ms_per_image * math.exp(rng.gauss(0.0, 0.3))
        crowd.append(SimWorker(f"{prefix}-{i:05d}", kind, hit, false, pace))
    return crowd


def _rates(kind: str, model: CrowdModel, rng: random.Random) -> tuple[float, float]:
    if kind in (HONEST, IGNORE_CONTROLS):
        hit = model.hit_rate + rng.uniform(-model.spread, model.spread)
        false = model.false_rate + rng.uniform(-model.spread, model.spread) / 4
        return _unit(hit), _unit(false)
    if kind == RANDOM:
        return model.spam_rate, model.spam_rate
    if kind == NONE:
        return 0.0, 0.0
    return 1.0, 1.0  # ALL


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))


def draw_truth(
    potential_labels: Mapping[int, Iterable[int]],
    dataset_labels: Mapping[int, int],
    rng: random.Random,
    extra_true_rate: float = 0.1,
    mislabeled_rate: float = 0.0,
) -> dict[int, frozenset[int]]:
    """The true labels of each image: its dataset label (left out for a `mislabeled_rate`
    share of images) and each other potential label with probability `extra_true_rate`."""
    truth = {}
    for image in sorted(dataset_labels):
        dataset = dataset_labels[image]
        others = sorted(set(potential_labels.get(image, ())) - {dataset})
        labels = {label for label in others if rng.random() < extra_true_rate}
        if rng.random() >= mislabeled_rate:
            labels.add(dataset)
        truth[image] = frozenset(labels)
    return truth


def answer_grid(
    worker: SimWorker,
    query: int,
    images: Sequence[int],
    truth: Mapping[int, frozenset[int]],
    rng: random.Random,
    controls: Container[int] = (),
    spam_rate: float = DEFAULT_CROWD.spam_rate,
) -> list[int]:
    """Indices into `images` that the worker selects for `query`; `controls` are the indices
    of the grid's controls (only an ignore_controls worker treats them apart)."""
    selected = []
    skips_controls = worker.kind == IGNORE_CONTROLS
    for index, image in enumerate(images):
        if skips_controls and index in controls:
            p = spam_rate
        else:
            p = worker.hit_rate if query in truth.get(image, ()) else worker.false_rate
        if p >= 1.0 or (p > 0.0 and rng.random() < p):
            selected.append(index)
    return selected


def think_time_ms(worker: SimWorker, n_images: int, rng: random.Random) -> int | None:
    """Time on task for a grid of `n_images`, spammers much faster than honest workers; None
    (no think time, nothing drawn) for a worker of a crowd without think time."""
    if worker.ms_per_image <= 0.0:
        return None
    pace = worker.ms_per_image * (0.15 if worker.spammer else 1.0)
    return max(1, round(n_images * pace * math.exp(rng.gauss(0.0, 0.25))))


def assign_workers(
    grids_needing: Sequence[tuple[int, int, frozenset[int]]],
    n_workers: int,
    rng: random.Random,
    conflicts: Mapping[int, Iterable[int]] | None = None,
) -> dict[int, list[int]]:
    """For each (grid, answers needed, worker indices who may not answer it), that many
    distinct other workers (indices into the crowd), spreading the load evenly. `conflicts`:
    grid -> grids that no worker may answer together with it (a grid of the same query with
    some of the same pictures, as MTurk workers are kept from)."""
    load = [0] * n_workers
    chosen: dict[int, list[int]] = {}
    for grid, needed, taken in grids_needing:
        blocked = set(taken)
        for other in (conflicts or {}).get(grid, ()):
            blocked.update(chosen.get(other, ()))
        free = [w for w in range(n_workers) if w not in blocked]
        if needed > len(free):
            raise ValueError(
                f"grid {grid} needs {needed} more answers but only {len(free)} workers are left"
                + (" (a larger crowd: --workers)" if conflicts else "")
            )
        rng.shuffle(free)
        free.sort(key=lambda w: load[w])  # least busy first, ties in random order
        chosen[grid] = free[:needed]
        for w in chosen[grid]:
            load[w] += 1
    return chosen
