"""Stage 2's grids: pack every (image, potential label) pair into CONTAINS grids.

A CONTAINS grid shows one query label and up to `grid_size` (48) images; workers select those
that contain the query. Each pair (image, label) must be *tested* in exactly one grid whose
query is that label, and every grid carries at least `min_controls` (5) *controls*: images
whose dataset label is the query, used only by quality control (the controls a worker finds
measure their attention).

Controls. The paper sampled controls from the validation set while testing validation
images too; here the images being relabeled are usually the only ones at hand, and every image
whose dataset label is q is itself tested for q (the dataset label is always a potential
label). So the controls of a q-grid are images whose dataset label is q and that are *not
tested in that grid*: typically images tested for q in another of q's grids, plus any extra
images the caller passes in `extra_controls` (e.g. validation images outside the relabeled
subset, as in the paper). A control item never contributes to a selection frequency: the
pair (image, q) is measured only in the grid where it is tested (`is_control=False`), and
tested images whose dataset label is q do not count as controls. Keeping the two roles apart
keeps quality control from being conditioned on the very answers it filters, which would bias
stage 4's "mislabeled" count.

Packing. Each label's pairs fill as few grids as possible: n = ceil(pairs / (grid_size -
min_controls)), tested images dealt round-robin so grid sizes differ by at most one, and the
images whose dataset label is the query dealt first so they spread evenly: each grid can then
take as controls the ones tested elsewhere. A grid holds its tested images plus exactly
`min_controls` controls (never padded further), so a label with few pairs gets a small grid
(e.g. 3 tested + 5 controls = 8 images); grids of different labels are never pooled, because a
grid has one query.

Small classes. If some grid of a label would get fewer than `min_controls` controls, the label
gets one extra grid (at most one) when that raises the smallest number of controls of its
grids: a label whose pairs fit one grid but whose dataset-label images are all tested there
would otherwise have no control at all; split in two, each half controls the other. Controls
are reused across grids of the same label (never twice in one grid), cycling through the pool
so that reuse is even. A grid left with fewer controls carries the flag `short_of_controls`
(and `no_controls` when it has none), the label gets a line in `GridPlan.warnings`, and the
summary counts such grids; quality control treats a grid with no controls as unchecked (see
contains_quality).

Determinism. Each label draws from its own RNG seeded by (seed, label), so the grids of one
label do not change when other labels' images change, and the same input and seed give the
same grids. Input order does not matter: images are sorted by id before shuffling.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.params import PAPER, CampaignParams

SHORT_OF_CONTROLS = "short_of_controls"
NO_CONTROLS = "no_controls"
SPLIT_FOR_CONTROLS = "split_for_controls"


@dataclass(frozen=True)
class GridItem:
    position: int  # 0-based place on the page, after shuffling
    image_id: int
    is_control: bool  # True: a control, used only by quality control


@dataclass(frozen=True)
class Grid:
    query_label: int
    index: int  # 0-based, among the grids of this query label
    items: tuple[GridItem, ...]  # in position order
    flags: tuple[str, ...] = ()  # SHORT_OF_CONTROLS, NO_CONTROLS, SPLIT_FOR_CONTROLS

    @property
    def tested_images(self) -> list[int]:
        return [item.image_id for item in self.items if not item.is_control]

    @property
    def control_images(self) -> list[int]:
        return [item.image_id for item in self.items if item.is_control]

    @property
    def n_controls(self) -> int:
        return sum(item.is_control for item in self.items)


@dataclass(frozen=True)
class GridSummary:
    n_grids: int
    n_labels: int
    n_pairs: int  # (image, label) pairs tested, each in exactly one grid
    controls_min: int
    controls_max: int
    controls_mean: float
    controls_histogram: dict[int, int]  # number of controls -> number of grids
    size_min: int
    size_max: int
    size_mean: float
    grids_short_of_controls: int
    grids_without_controls: int
    labels_split_for_controls: int
    max_control_reuse: int  # most grids of one label that share one control image


@dataclass(frozen=True)
class GridPlan:
    grids: list[Grid]  # ordered by query label, then index
    summary: GridSummary
    warnings: list[str] = field(default_factory=list)


def build_grids(
    potential_labels: Mapping[int, Iterable[int]],
    dataset_labels: Mapping[int, int],
    params: CampaignParams = PAPER,
    seed: int = 0,
    extra_controls: Mapping[int, Iterable[int]] | None = None,
) -> GridPlan:
    """Pack every (image, potential label) pair into grids (see the module docstring).

    potential_labels: image id -> its potential label ids (stage 1).
    dataset_labels: image id -> its dataset label id, for every image to relabel; the dataset
        label is a potential label even when `potential_labels` omits it.
    extra_controls: label id -> further images whose dataset label is that label and that
        serve only as controls (optional; the paper's validation-set controls).
    Returns a GridPlan: the grids, a summary and one warning per label short of controls.
    """
    capacity = params.grid_size - params.min_controls
    if capacity < 1 or params.min_controls < 0:
        raise ValueError(f"grid_size {params.grid_size} leaves no room beside the controls")
    tested = _pairs_by_label(potential_labels, dataset_labels)
    own = _images_by_dataset_label(dataset_labels)
    extra = extra_controls or {}
    grids: list[Grid] = []
    warnings: list[str] = []
    reuse = 0
    for label in sorted(tested):
        rng = random.Random(f"{seed}:{label}")
        label_grids, label_reuse = _label_grids(
            label, tested[label], own.get(label, []), extra.get(label, ()), capacity, params, rng
        )
        grids.extend(label_grids)
        reuse = max(reuse, label_reuse)
        warning = _shortage_warning(label, label_grids, params.min_controls)
        if warning:
            warnings.append(warning)
    return GridPlan(grids, _summary(grids, len(tested), reuse), warnings)


def _pairs_by_label(
    potential_labels: Mapping[int, Iterable[int]], dataset_labels: Mapping[int, int]
) -> dict[int, list[int]]:
    unknown = set(potential_labels) - set(dataset_labels)
    if unknown:
        raise ValueError(f"images without a dataset label: {sorted(unknown)[:10]}")
    by_label: dict[int, set[int]] = defaultdict(set)
    for image, dataset_label in dataset_labels.items():
        by_label[dataset_label].add(image)
        for label in potential_labels.get(image, ()):
            by_label[label].add(image)
    return {label: sorted(images) for label, images in by_label.items()}


def _images_by_dataset_label(dataset_labels: Mapping[int, int]) -> dict[int, list[int]]:
    by_label: dict[int, list[int]] = defaultdict(list)
    for image, label in dataset_labels.items():
        by_label[label].append(image)
    return {label: sorted(images) for label, images in by_label.items()}


def _label_grids(
    label: int,
    tested: list[int],
    own: list[int],
    extra: Iterable[int],
    capacity: int,
    params: CampaignParams,
    rng: random.Random,
) -> tuple[list[Grid], int]:
    """The grids of one query label and how often its most used control is reused."""
    pool = _control_pool(own, extra, rng)
    tested_set = set(tested)
    in_pool = [image for image in pool if image in tested_set]  # tested here, controls there
    in_pool_set = set(in_pool)
    others = [image for image in tested if image not in in_pool_set]
    rng.shuffle(others)
    n_grids, split = _grid_count(len(tested), len(pool), len(in_pool), capacity, params)
    dealt = in_pool + others
    batches = [dealt[i::n_grids] for i in range(n_grids)]
    uses: Counter[int] = Counter()
    cursor = 0
    grids = []
    for index, batch in enumerate(batches):
        controls, cursor = _take_controls(pool, set(batch), params.min_controls, cursor)
        uses.update(controls)
        grids.append(_make_grid(label, index, batch, controls, params.min_controls, split, rng))
    return grids, max(uses.values(), default=0)


def _control_pool(own: list[int], extra: Iterable[int], rng: random.Random) -> list[int]:
    """Extra controls first, then the label's own images, each shuffled; no repeats."""
    own_set = set(own)
    outside = sorted({image for image in extra if image not in own_set})
    inside = list(own)
    rng.shuffle(outside)
    rng.shuffle(inside)
    return outside + inside


def _grid_count(
    n_tested: int, n_pool: int, n_in_pool: int, capacity: int, params: CampaignParams
) -> tuple[int, bool]:
    """Fewest grids that hold the pairs, plus one when that gives every grid more controls."""
    n_grids = math.ceil(n_tested / capacity)

    def fewest_controls(n: int) -> int:
        return min(params.min_controls, n_pool - math.ceil(n_in_pool / n))

    short = fewest_controls(n_grids) < params.min_controls
    if short and n_tested > n_grids and fewest_controls(n_grids + 1) > fewest_controls(n_grids):
        return n_grids + 1, True
    return n_grids, False


def _take_controls(
    pool: Sequence[int], exclude: set[int], wanted: int, cursor: int
) -> tuple[list[int], int]:
    """Up to `wanted` pool images not in `exclude`, cycling on from `cursor`; new cursor."""
    taken: list[int] = []
    if wanted <= 0 or not pool:
        return taken, cursor
    for step in range(len(pool)):
        image = pool[(cursor + step) % len(pool)]
        if image not in exclude:
            taken.append(image)
            if len(taken) == wanted:
                return taken, (cursor + step + 1) % len(pool)
    return taken, cursor


def _make_grid(
    label: int,
    index: int,
    tested: list[int],
    controls: list[int],
    min_controls: int,
    split: bool,
    rng: random.Random,
) -> Grid:
    entries = [(image, False) for image in tested] + [(image, True) for image in controls]
    rng.shuffle(entries)
    items = tuple(
        GridItem(pos, image, is_control) for pos, (image, is_control) in enumerate(entries)
    )
    flags = []
    if len(controls) < min_controls:
        flags.append(SHORT_OF_CONTROLS)
    if not controls:
        flags.append(NO_CONTROLS)
    if split:
        flags.append(SPLIT_FOR_CONTROLS)
    return Grid(label, index, items, tuple(flags))


def _shortage_warning(label: int, grids: list[Grid], min_controls: int) -> str | None:
    short = [grid for grid in grids if SHORT_OF_CONTROLS in grid.flags]
    if not short:
        return None
    fewest = min(grid.n_controls for grid in short)
    return (
        f"label {label}: {len(short)} of {len(grids)} grid(s) have fewer than {min_controls} "
        f"controls (fewest {fewest}): too few images have this dataset label"
    )


def _summary(grids: list[Grid], n_labels: int, max_reuse: int) -> GridSummary:
    controls = [grid.n_controls for grid in grids]
    sizes = [len(grid.items) for grid in grids]
    split_labels = {grid.query_label for grid in grids if SPLIT_FOR_CONTROLS in grid.flags}
    return GridSummary(
        n_grids=len(grids),
        n_labels=n_labels,
        n_pairs=sum(sizes) - sum(controls),
        controls_min=min(controls, default=0),
        controls_max=max(controls, default=0),
        controls_mean=sum(controls) / len(grids) if grids else 0.0,
        controls_histogram=dict(sorted(Counter(controls).items())),
        size_min=min(sizes, default=0),
        size_max=max(sizes, default=0),
        size_mean=sum(sizes) / len(grids) if grids else 0.0,
        grids_short_of_controls=sum(SHORT_OF_CONTROLS in grid.flags for grid in grids),
        grids_without_controls=sum(NO_CONTROLS in grid.flags for grid in grids),
        labels_split_for_controls=len(split_labels),
        max_control_reuse=max_reuse,
    )
