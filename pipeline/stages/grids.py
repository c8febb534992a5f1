"""Stage 2, grid building: store the CONTAINS grids of a campaign (core: pipeline.rules.grids).

Input: the campaign's PotentialLabel rows (stage 1) and the dataset label of each image. The
images to relabel are those with potential labels; the dataset's other images (stage 1 has
not run on them) serve only as controls of their own class, like the paper's validation-set
controls, and are never tested.

Output: one ContainsGrid per grid (serial `number`, opaque random `public_id`, the packing
flags in `notes`) and one GridItem per image shown, at its shuffled position, with
`is_control`. Everything is written in one transaction; the run's message keeps the summary
and the packing warnings.

Small classes and labels with few images (decided in pipeline.rules.grids, stored here):
- A label with few images to test gets a small grid (its tested images plus the controls),
  never pooled with other labels: a grid has one query.
- A class with too few images for `min_controls` controls: its grids take every control the
  class has (a grid that would have none is split in two so that each half controls the
  other); a grid still short of controls carries `short_of_controls` (and `no_controls` when
  it has none) in `notes`, the run message lists a warning per label, and quality control
  keeps the answers of a grid without controls unchecked (pipeline.rules.contains_qc).

Re-running: grids of a campaign without answers or assignments are replaced (deleted and
rebuilt in the same transaction). Once any worker has been assigned a grid, the grids are
locked: `OutputLocked` is raised and nothing changes, so answers are never deleted.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from catalogue.models import Image
from core.errors import MissingInput, OutputLocked
from crowd.models import Assignment, ContainsAnswer, ContainsGrid, GridItem
from pipeline.models import Campaign, PotentialLabel, StageRun
from pipeline.rules import grids as core
from pipeline.stages.bulk import insert_rows
from pipeline.stages.runs import report_progress, stage_run

Progress = Callable[[int, int], None]


@dataclass
class GridsResult:
    run_id: int
    grids: int
    pairs: int
    items: int
    summary: core.GridSummary
    warnings: list[str] = field(default_factory=list)
    control_only_images: int = 0  # dataset images without potential labels, used as controls
    replaced: int = 0  # grids of an earlier run that were replaced


def load_inputs(
    campaign: Campaign,
) -> tuple[dict[int, list[int]], dict[int, int], dict[int, list[int]]]:
    """(potential labels per tested image, their dataset labels, extra controls per label)."""
    potential: dict[int, list[int]] = defaultdict(list)
    rows = PotentialLabel.objects.filter(campaign=campaign).values_list("image_id", "label_id")
    for image_id, label_id in rows.iterator(chunk_size=20_000):
        potential[image_id].append(label_id)
    if not potential:
        raise MissingInput(
            f"campaign {campaign.name!r} has no potential labels: run stage 1 (the model "
            "ensemble) first"
        )
    dataset_labels: dict[int, int] = {}
    extra: dict[int, list[int]] = defaultdict(list)
    images = Image.objects.filter(dataset_id=campaign.dataset_id).values_list("id", "label_id")
    for image_id, label_id in images.iterator(chunk_size=20_000):
        if image_id in potential:
            dataset_labels[image_id] = label_id
        else:
            extra[label_id].append(image_id)
    foreign = set(potential) - set(dataset_labels)
    if foreign:
        raise MissingInput(
            f"potential labels name {len(foreign)} image(s) outside dataset "
            f"{campaign.dataset_id}, e.g. {sorted(foreign)[:5]}"
        )
    return dict(potential), dataset_labels, dict(extra)


def build_grids(campaign: Campaign, progress: Progress | None = None) -> GridsResult:
    """Pack and store the campaign's grids (module docstring); replaces grids without answers
    and raises OutputLocked when any grid has an assignment."""
    potential, dataset_labels, extra = load_inputs(campaign)
    _check_unlocked(campaign)  # before recording a run: bad input stores nothing
    plan = core.build_grids(
        potential, dataset_labels, campaign.params, seed=campaign.seed, extra_controls=extra
    )
    with stage_run(campaign, StageRun.Stage.GRIDS, total=len(plan.grids)) as run:
        with transaction.atomic():
            Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
            replaced = _clear_unanswered(campaign)
            items = _store(campaign, run, plan, progress)
        run.message = _message(plan, sum(len(v) for v in extra.values()))
        report_progress(run, len(plan.grids))
    return GridsResult(
        run_id=run.pk,
        grids=len(plan.grids),
        pairs=plan.summary.n_pairs,
        items=items,
        summary=plan.summary,
        warnings=plan.warnings,
        control_only_images=sum(len(v) for v in extra.values()),
        replaced=replaced,
    )


def _check_unlocked(campaign: Campaign) -> None:
    """Raise OutputLocked when a worker was ever assigned one of the campaign's grids."""
    answers = ContainsAnswer.objects.filter(grid__campaign=campaign).count()
    assignments = Assignment.objects.filter(grid__campaign=campaign).count()
    if answers or assignments:
        raise OutputLocked(
            f"campaign {campaign.name!r} already has {answers} CONTAINS answer(s) and "
            f"{assignments} assignment(s) on its grids: the grids are kept as they are (build "
            "them again only in a new campaign)"
        )


def _clear_unanswered(campaign: Campaign) -> int:
    """Delete the campaign's grids (checked again under the campaign's row lock)."""
    _check_unlocked(campaign)
    old = ContainsGrid.objects.filter(campaign=campaign)
    count = old.count()
    GridItem.objects.filter(grid__campaign=campaign).delete()
    old.delete()
    return count


def _store(
    campaign: Campaign, run: StageRun, plan: core.GridPlan, progress: Progress | None
) -> int:
    grids = [
        ContainsGrid(
            campaign=campaign,
            number=number,
            query_id=grid.query_label,
            public_id=secrets.token_urlsafe(16),
            run=run,
            notes=list(grid.flags),
        )
        for number, grid in enumerate(plan.grids, start=1)
    ]
    stored = ContainsGrid.objects.bulk_create(grids, batch_size=2000)
    total = len(plan.grids)
    rows: list[tuple[int, int, int, bool]] = []
    for done, (row, grid) in enumerate(zip(stored, plan.grids, strict=True), start=1):
        rows.extend((row.pk, item.position, item.image_id, item.is_control) for item in grid.items)
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)
    return insert_rows(GridItem, ("grid_id", "position", "image_id", "is_control"), rows)


def _message(plan: core.GridPlan, control_only: int) -> str:
    s = plan.summary
    lines = [
        f"{s.n_grids} grids for {s.n_pairs} image-label pairs over {s.n_labels} labels; "
        f"grid size {s.size_min}-{s.size_max} (mean {s.size_mean:.1f}); controls "
        f"{s.controls_min}-{s.controls_max} (mean {s.controls_mean:.2f}); "
        f"{s.grids_short_of_controls} grid(s) short of controls, {s.grids_without_controls} "
        f"without; {s.labels_split_for_controls} label(s) split for controls; "
        f"{control_only} image(s) without potential labels used only as controls.",
        *plan.warnings,
    ]
    return "\n".join(lines)
