"""Fresh planner statistics after a stage's bulk writes.

A stage can add hundreds of thousands of rows in seconds; PostgreSQL's autovacuum analyzes
them only later (a minute or more), and until then the planner believes the tables nearly
empty. Its nested loops over "one row" then make the next read of those tables (the
dashboard's analyses, the next stage) many times slower (figures in bench/README.md,
bench/dashboard.py). So each stage analyzes the tables it filled before it reports itself
done.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyAnswerLabel,
    ClassifyOption,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    Worker,
)
from pipeline.models import (
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    LabelProbability,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
    WorkerQuality,
)

Stage = StageRun.Stage
# What each stage writes in bulk (docs/pipeline.md, stages 1-6).
WRITTEN: dict[str, tuple[type[Model], ...]] = {
    Stage.POTENTIAL_LABELS: (ModelPrediction, PotentialLabel),
    Stage.GRIDS: (ContainsGrid, GridItem),
    Stage.CONTAINS_QC: (ContainsAnswer,),
    Stage.SELECTION_FREQUENCIES: (SelectionFrequency,),
    Stage.DAWID_SKENE: (LabelProbability, WorkerQuality),
    Stage.CANDIDATES: (CandidateLabel,),
    Stage.INCLUSION: (ImageInclusion,),
    Stage.CLASSIFY_TASKS: (ClassifyTask, ClassifyOption),
    Stage.CLASSIFY_QC: (ClassifyAnswer,),
    Stage.AGGREGATION: (ImageLabels, ImageObject, ImageObjectLabel),
}
# What the crowd writes (through the HIT pages a few rows at a time, which autovacuum keeps up
# with; the direct simulators write them in bulk).
ANSWER_TABLES = (Worker, Assignment, ContainsAnswer, ContainsSelection)
CLASSIFY_ANSWER_TABLES = (Worker, Assignment, ClassifyAnswer, ClassifyAnswerLabel)


def analyze(tables: Iterable[type[Model]]) -> None:
    """ANALYZE these models' tables (PostgreSQL; elsewhere nothing to do). ANALYZE reads a
    fixed sample of each table, so it costs a fraction of a second even on large ones."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(t._meta.db_table) for t in tables)
    if names:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {names}")


def analyze_stage_output(stage: str) -> None:
    analyze(WRITTEN.get(stage, ()))
