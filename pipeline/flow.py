"""The stages of PIPELINE.md in order, and carrying a campaign through them.

Each stage has one name, used by its rule (pipeline/rules/<name>.py), its shell
(pipeline/stages/<name>.py), its Celery task and its command step; StageRun.Stage records runs
under the same names. STAGES is the one list of them in order: the `contains` and `classify`
commands, the Celery tasks and the demo take their order from here.

A crowd answers between two stages: CONTAINS grids after `grids`, CLASSIFY tasks after
`classify_tasks`. The flow does not know who answers. A caller passes an AnswerSource (the
simulation app has one); without one, the stages after read the answers stored so far, as the
real crowd (HIT pages, Mechanical Turk) answers in its own time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import FinelabelError
from crowd.models import ContainsGrid
from pipeline.models import Campaign
from pipeline.stages import (
    aggregation,
    candidates,
    classify_qc,
    classify_tasks,
    contains_qc,
    dawid_skene,
    grids,
    inclusion,
    selection_frequencies,
)

Progress = Callable[[int, int], object]
ProgressFor = Callable[[str], Progress | None]  # step name -> its progress callback, or None
Log = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """What a stage may need beyond its campaign."""

    progress: Progress | None = None
    include_controls: bool = False  # selection frequencies: count answers on controls too


@dataclass(frozen=True)
class Stage:
    name: str
    number: int  # the stage of PIPELINE.md it belongs to
    run: Callable[[Campaign, Options], Any] | None  # None: run by its own command and tasks
    answered_by: str | None = None  # the crowd task kind that answers what this stage made


STAGES: tuple[Stage, ...] = (
    # Stage 1 runs on the gpu queue in chunks (`manage.py potential_labels`).
    Stage("potential_labels", 1, None),
    Stage("grids", 2, lambda c, o: grids.build_grids(c, o.progress), answered_by="contains"),
    Stage("contains_qc", 2, lambda c, o: contains_qc.run_qc(c)),
    Stage(
        "selection_frequencies",
        2,
        lambda c, o: selection_frequencies.compute_frequencies(c, o.include_controls),
    ),
    # Beyond the paper: probabilities beside the frequencies; no later stage reads them.
    Stage("dawid_skene", 2, lambda c, o: dawid_skene.compute_probabilities(c)),
    Stage("candidates", 3, lambda c, o: candidates.compute_candidates(c)),
    Stage("inclusion", 4, lambda c, o: inclusion.compute_inclusion(c)),
    Stage(
        "classify_tasks",
        5,
        lambda c, o: classify_tasks.create_classify_tasks(c, o.progress),
        answered_by="classify",
    ),
    Stage("classify_qc", 5, lambda c, o: classify_qc.run_qc(c, o.progress)),
    Stage("aggregation", 6, lambda c, o: aggregation.aggregate_campaign(c, o.progress)),
)
BY_NAME = {stage.name: stage for stage in STAGES}
CONTAINS = tuple(s.name for s in STAGES if s.number in (2, 3, 4))  # grids ... inclusion
CLASSIFY = tuple(s.name for s in STAGES if s.number in (5, 6))  # classify_tasks ... aggregation


class AnswerSource(Protocol):
    """Who answers the tasks a stage has just made (kind: "contains" or "classify")."""

    def answer(self, kind: str, campaign: Campaign, progress: Progress | None) -> Any: ...


def answers_key(kind: str) -> str:
    """Where `run_stages` reports an answer source's summary."""
    return f"{kind}_answers"


SHOWN_WARNINGS = 5  # a small dataset warns for hundreds of labels; the run keeps them all


def ensure_grids(campaign: Campaign, log: Log = lambda _: None) -> grids.GridsResult | None:
    """Build the grids unless the campaign has some already (answered or not)."""
    count = ContainsGrid.objects.filter(campaign=campaign).count()
    if count:
        log(f"Grids: keeping the {count} existing grids.")
        return None
    result = grids.build_grids(campaign)
    log(f"Grids: {result.grids} grids for {result.pairs} image-label pairs.")
    for line in warning_lines(result.warnings):
        log("  " + line)
    return result


def warning_lines(warnings: Sequence[str], shown: int = SHOWN_WARNINGS) -> list[str]:
    """The first few warnings and how many more: a small dataset warns for hundreds of
    labels, and every one is kept in the run's message (admin)."""
    lines = [f"warning: {warning}" for warning in warnings[:shown]]
    if len(warnings) > shown:
        hidden = len(warnings) - shown
        lines.append(f"... and {hidden} more warnings: every one is in the grids run's message.")
    return lines


def run_stages(
    campaign: Campaign,
    names: Sequence[str],
    answers: AnswerSource | None = None,
    include_controls: bool = False,
    progress_for: ProgressFor | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """Run the named stages in STAGES order; each one's summary by name.

    With `log`, existing grids are kept (ensure_grids) and one line per stage is logged;
    after a stage that makes crowd tasks, `answers` (if given) answers them first.
    """
    unknown = [name for name in names if name not in BY_NAME or BY_NAME[name].run is None]
    if unknown:
        raise FinelabelError(f"not a stage the flow runs: {', '.join(unknown)}")
    summaries: dict[str, Any] = {}
    for stage in STAGES:
        if stage.name not in names:
            continue
        progress = progress_for(stage.name) if progress_for else None
        if stage.name == "grids" and log is not None:
            summaries["grids"] = ensure_grids(campaign, log)
        else:
            summaries[stage.name] = stage.run(campaign, Options(progress, include_controls))
            if log is not None:
                log(f"{stage.name}: {summaries[stage.name]}")
        if answers is not None and stage.answered_by:
            kind = stage.answered_by
            step = answers_key(kind)
            summary = answers.answer(kind, campaign, progress_for(step) if progress_for else None)
            summaries[step] = summary
            if log is not None:
                log(f"{step}: {summary}")
    return summaries
