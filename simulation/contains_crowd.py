"""Simulated CONTAINS answers for a campaign's grids (answer model: simulation.contains_model).

Writes Worker (source "simulated"), Assignment, ContainsAnswer and ContainsSelection rows in
bulk, straight into the database (COPY for the selections on PostgreSQL), so a paper-scale
campaign is answered in seconds. The rows are the ones the HIT submit endpoint stores for a
real worker; quality control and the later stages cannot tell them apart.

This direct writer is kept for paper-scale data generation (bench/contains.py, and
`simulate_crowd --direct`), where speed matters. Everything else (the demo, `run_contains`,
`manage.py simulate_crowd`) uses simulation.http_crowd, whose simulated workers answer through
the HIT pages and submit endpoints, with the same crowd and assignment of workers to grids.

Resumable: each grid is filled up to the campaign's `contains_assignments` answers that count
(answers waiting for MTurk to confirm them do not), by workers who have not answered it yet; a
grid already full gets nothing. The crowd is
determined by the seed (workers `sim<seed>-00000`...), so a re-run with the same seed reuses
the same workers.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from catalogue.models import Image
from core.errors import MissingInput
from crowd.models import (
    Assignment,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Verification,
    Worker,
)
from pipeline.models import Campaign, PotentialLabel
from pipeline.stages.bulk import insert_rows
from pipeline.stages.statistics import ANSWER_TABLES, analyze
from simulation import contains_model as model

Progress = Callable[[int, int], None]
CHUNK = 2000  # grids per transaction


@dataclass
class SimulationResult:
    answers: int
    selections: int
    grids_filled: int
    workers: int
    spammers: dict[str, list[int]] = field(default_factory=dict)  # kind -> Worker ids
    truth: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        spammers = sum(map(len, self.spammers.values()))
        return f"{self.answers} answers by {self.workers} workers ({spammers} spammers)"


def campaign_truth(
    campaign: Campaign, rng: random.Random, extra_true_rate: float, mislabeled_rate: float
) -> dict[int, frozenset[int]]:
    """Ground truth drawn over the campaign's images and potential labels."""
    potential: dict[int, list[int]] = defaultdict(list)
    rows = PotentialLabel.objects.filter(campaign=campaign).values_list("image_id", "label_id")
    for image, label in rows.iterator(chunk_size=50_000):
        potential[image].append(label)
    labels = dict(Image.objects.filter(dataset_id=campaign.dataset_id).values_list("id", "label"))
    return model.draw_truth(potential, labels, rng, extra_true_rate, mislabeled_rate)


@dataclass
class CrowdPlan:
    """Who answers which grid: the crowd, and grid -> crowd indices for the grids still short
    of answers (only workers who have not answered a grid are sent to it)."""

    crowd: list[model.SimWorker]
    chosen: dict[int, list[int]]


def plan_crowd(
    campaign: Campaign,
    grids: Sequence[int],
    rng: random.Random,
    spammer_share: float,
    seed: int,
    workers: int | None,
    spammer_kinds: Sequence[str],
    crowd_model: model.CrowdModel,
    source: str | None = None,
    conflicts: Mapping[int, set[int]] | None = None,
    targets: Mapping[int, int] | None = None,
) -> CrowdPlan:
    """The crowd of `seed` (workers `sim<seed>-NNNNN`; by default about 40 grids per worker,
    at least twice the answers a grid needs) and its assignment to the campaign's `grids` up
    to `contains_assignments` answers each. `source`: the Worker source the crowd's answers
    are stored under (None: any). `conflicts`: grid -> grids no worker may answer with it
    (grid_conflicts: MTurk workers are not shown a picture twice under one query).
    `targets`: grid -> answers it is to have (adaptive collection), instead of all of them."""
    per_grid = campaign.contains_assignments
    wanted = {g: (targets or {}).get(g, per_grid) for g in grids}
    answered: dict[int, set[str]] = defaultdict(set)  # who answered, counted or not
    counted: dict[int, int] = defaultdict(int)  # answers that count (crowd.models.Verification)
    rows = ContainsAnswer.objects.filter(grid__campaign=campaign)
    if source is not None:
        rows = rows.filter(worker__source=source)
    for grid, worker, verification in rows.values_list(
        "grid", "worker__external_id", "verification"
    ):
        answered[grid].add(worker)
        counted[grid] += verification == Verification.CONFIRMED
    n_workers = workers or max(2 * per_grid, math.ceil(len(grids) * per_grid / 40))
    crowd = model.make_crowd(
        n_workers, spammer_share, rng, crowd_model, spammer_kinds, prefix=f"sim{seed}"
    )
    index_of = {w.key: i for i, w in enumerate(crowd)}
    conflicts = conflicts or {}

    def kept_away(g: int) -> frozenset[int]:
        """Workers who answered this grid, or (with conflicts) one it conflicts with."""
        names = answered[g].union(*(answered[o] for o in conflicts.get(g, ())))
        return frozenset(index_of[w] for w in names if w in index_of)

    needing = [
        (g, wanted[g] - counted[g], kept_away(g)) for g in sorted(grids) if counted[g] < wanted[g]
    ]
    return CrowdPlan(crowd, model.assign_workers(needing, n_workers, rng, conflicts))


def grid_conflicts(campaign: Campaign) -> dict[int, set[int]]:
    """grid -> the other grids of its query that share a picture with it."""
    by_picture: dict[tuple[int, int], set[int]] = defaultdict(set)
    rows = GridItem.objects.filter(grid__campaign=campaign).values_list(
        "grid_id", "grid__query_id", "image_id"
    )
    for grid, query, image in rows.iterator(chunk_size=50_000):
        by_picture[(query, image)].add(grid)
    conflicts: dict[int, set[int]] = defaultdict(set)
    for grids in by_picture.values():
        for grid in grids if len(grids) > 1 else ():
            conflicts[grid] |= grids - {grid}
    return dict(conflicts)


def simulate_contains(
    campaign: Campaign,
    spammer_share: float = 0.1,
    seed: int | None = None,
    workers: int | None = None,
    spammer_kinds: Sequence[str] = model.DEFAULT_SPAMMERS,
    crowd_model: model.CrowdModel = model.DEFAULT_CROWD,
    truth: Mapping[int, frozenset[int]] | None = None,
    extra_true_rate: float = 0.1,
    mislabeled_rate: float = 0.0,
    progress: Progress | None = None,
    targets: Mapping[int, int] | None = None,
) -> SimulationResult:
    """Answer every grid of the campaign up to `contains_assignments`, or up to its entry in
    `targets` (adaptive collection; module docstring).

    truth: image id -> its true labels; drawn with `extra_true_rate` and `mislabeled_rate`
    when not given. workers: crowd size; by default about 40 grids per worker, and at least
    twice the answers a grid needs."""
    seed = campaign.seed if seed is None else seed
    rng = random.Random(f"simulate:{seed}")
    grids = dict(ContainsGrid.objects.filter(campaign=campaign).values_list("pk", "query_id"))
    if not grids:
        raise MissingInput(f"campaign {campaign.name!r} has no grids: build the grids first")
    plan = plan_crowd(
        campaign,
        list(grids),
        rng,
        spammer_share,
        seed,
        workers,
        spammer_kinds,
        crowd_model,
        source=Worker.Source.SIMULATED,
        targets=targets,
    )
    crowd, chosen, n_workers = plan.crowd, plan.chosen, len(plan.crowd)
    ids = _worker_rows(crowd)
    if truth is None:
        truth = campaign_truth(campaign, rng, extra_true_rate, mislabeled_rate)
    items = _items(campaign)
    result = SimulationResult(0, 0, len(chosen), n_workers, truth=dict(truth))
    for kind in set(spammer_kinds):
        result.spammers[kind] = [ids[i] for i, w in enumerate(crowd) if w.kind == kind]
    order = sorted(chosen)
    for start in range(0, len(order), CHUNK):
        batch = order[start : start + CHUNK]
        with transaction.atomic():
            a, s = _answer(campaign, batch, grids, items, chosen, crowd, ids, truth, rng)
        result.answers += a
        result.selections += s
        if progress:
            progress(min(start + CHUNK, len(order)), len(order))
    analyze(ANSWER_TABLES)
    return result


def _worker_rows(crowd: list[model.SimWorker]) -> list[int]:
    """Worker ids of the crowd, created when missing, in crowd order."""
    source = Worker.Source.SIMULATED
    Worker.objects.bulk_create(
        [Worker(source=source, external_id=w.key) for w in crowd], ignore_conflicts=True
    )
    keys = [w.key for w in crowd]
    found = dict(
        Worker.objects.filter(source=source, external_id__in=keys).values_list("external_id", "pk")
    )
    return [found[key] for key in keys]


def _items(campaign: Campaign) -> dict[int, list[tuple[int, int]]]:
    """grid -> [(item id, image id)] in position order."""
    items: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        GridItem.objects.filter(grid__campaign=campaign)
        .order_by("grid_id", "position")
        .values_list("grid_id", "pk", "image_id")
    )
    for grid, item, image in rows.iterator(chunk_size=50_000):
        items[grid].append((item, image))
    return items


def _answer(
    campaign: Campaign,
    batch: list[int],
    grids: dict[int, int],
    items: dict[int, list[tuple[int, int]]],
    chosen: dict[int, list[int]],
    crowd: list[model.SimWorker],
    ids: list[int],
    truth: Mapping[int, frozenset[int]],
    rng: random.Random,
) -> tuple[int, int]:
    """Store the answers of one batch of grids; (answers, selections) stored."""
    now = timezone.now()
    plan = []  # (grid, worker index, selected item ids, duration)
    for grid in batch:
        grid_items = items[grid]
        images = [image for _, image in grid_items]
        for w in chosen[grid]:
            picked = model.answer_grid(crowd[w], grids[grid], images, truth, rng)
            duration = model.think_time_ms(crowd[w], len(images), rng)
            plan.append((grid, w, [grid_items[i][0] for i in picked], duration))
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                campaign=campaign,
                kind=Assignment.Kind.CONTAINS,
                grid_id=grid,
                worker_id=ids[w],
                status=Assignment.Status.SUBMITTED,
                submitted_at=now,
            )
            for grid, w, _, _ in plan
        ],
        batch_size=5000,
    )
    answers = ContainsAnswer.objects.bulk_create(
        [
            ContainsAnswer(assignment=a, grid_id=grid, worker_id=ids[w], duration_ms=duration)
            for a, (grid, w, _, duration) in zip(assignments, plan, strict=True)
        ],
        batch_size=5000,
    )
    selections = insert_rows(
        ContainsSelection,
        ("answer_id", "item_id"),
        (
            (answer.pk, item)
            for answer, (_, _, picked, _) in zip(answers, plan, strict=True)
            for item in picked
        ),
    )
    return len(answers), selections
