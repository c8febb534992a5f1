"""Selection frequencies: for every (image, potential label) pair of a campaign, how many kept
CONTAINS answers selected the image in a grid whose query is that label, over how many kept
answers saw it there (PIPELINE.md, stage 2). Counted by PostgreSQL (or SQLite) in one
INSERT ... SELECT: kept answers counted per grid (the denominator) and their selections per
grid item (the numerator) with GROUP BY, joined to the tested items and summed per (image,
query label). No selection row passes through Python.

Every tested pair gets a row, also when no answer of its grid survived quality control:
then `answers` is 0 and `frequency` is NULL (stage 4 calls such images ambiguous). Only
confirmed answers (crowd.models.Verification: not those waiting for MTurk to confirm them)
with qc_status "kept" count: pending ones (quality control not run) do not, so run quality
control first.

Controls are not counted by default. A control is an image shown under its own dataset label
as query, so an answer on it is in a sense a vote for (image, dataset label), and a literal
reading of PIPELINE.md ("selected the image in a grid for that label") would count it. We do
not, for three reasons:
- Selection bias: an answer is kept *because* it selected enough controls (the 40% grid rule),
  so the kept answers' votes on controls are inflated by construction. Counting them would
  raise the dataset label's frequency, make more images "easy" and hide "mislabeled" ones:
  the very measurement of the dataset label the method exists to make.
- Equal footing: every pair is then measured by the same kind and number of answers (the 9
  workers of the one grid where it is tested, as PIPELINE.md's "an image appears in one grid
  per potential label" and stage 4's "seen by 6 or more of the 9 workers" assume), while
  controls are reused unevenly across grids.
- pipeline.rules.grids keeps the roles apart already: an image whose dataset label is q is tested
  for q in exactly one q-grid and only serves as a control in the others.
`include_controls=True` (command flag `--include-controls`) counts them anyway, recorded in
the run's parameters, for comparison.

The previous run's rows are replaced in the same transaction (DELETE then INSERT).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from core.errors import MissingInput
from crowd.models import (
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    Verification,
)
from pipeline.models import Campaign, SelectionFrequency, StageRun
from pipeline.stages.runs import report_progress, stage_run


@dataclass
class FrequencyResult:
    run_id: int
    pairs: int  # rows stored
    pairs_without_answers: int  # no kept answer: frequency NULL
    include_controls: bool
    pending_answers: int  # answers quality control has not judged yet: not counted

    def __str__(self) -> str:
        return f"{self.pairs} pairs, {self.pairs_without_answers} without a kept answer"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _pairs_sql() -> str:
    """A WITH clause whose `pairs` holds (image_id, label_id, selected, answers). Kept answers
    per grid and selections per item are aggregated first (a few thousand and a few hundred
    thousand rows), then joined to the items: no row per (item, answer)."""
    return f"""
        WITH kept AS (
            SELECT a.id, a.grid_id FROM {_table(ContainsAnswer)} a
            JOIN {_table(ContainsGrid)} g ON g.id = a.grid_id
            WHERE g.campaign_id = %(campaign)s AND a.qc_status = %(kept)s
                AND a.verification = %(confirmed)s
        ),
        per_grid AS (SELECT grid_id, COUNT(*) AS n FROM kept GROUP BY grid_id),
        per_item AS (
            SELECT s.item_id, COUNT(*) AS n FROM {_table(ContainsSelection)} s
            JOIN kept ON kept.id = s.answer_id GROUP BY s.item_id
        ),
        pairs AS (
            SELECT gi.image_id, g.query_id AS label_id,
                   CAST(SUM(COALESCE(per_item.n, 0)) AS INTEGER) AS selected,
                   CAST(SUM(COALESCE(per_grid.n, 0)) AS INTEGER) AS answers
            FROM {_table(GridItem)} gi
            JOIN {_table(ContainsGrid)} g ON g.id = gi.grid_id
            LEFT JOIN per_grid ON per_grid.grid_id = gi.grid_id
            LEFT JOIN per_item ON per_item.item_id = gi.id
            WHERE g.campaign_id = %(campaign)s AND (gi.is_control = %(false)s OR %(controls)s)
            GROUP BY gi.image_id, g.query_id
        )
    """


def _insert_sql() -> str:
    float_type = SelectionFrequency._meta.get_field("frequency").db_type(connection)
    return f"""
        {_pairs_sql()}
        INSERT INTO {_table(SelectionFrequency)}
            (campaign_id, image_id, label_id, selected, answers, frequency, run_id)
        SELECT %(campaign)s, image_id, label_id, selected, answers,
               CASE WHEN answers > 0
                    THEN CAST(selected AS {float_type}) / CAST(answers AS {float_type})
               END,
               %(run)s
        FROM pairs
        ORDER BY image_id, label_id
    """


def _args(campaign: Campaign, include_controls: bool, run_id: int | None = None) -> dict:
    return {
        "campaign": campaign.pk,
        "kept": QcStatus.KEPT,
        "confirmed": Verification.CONFIRMED,
        "false": False,
        "controls": include_controls,
        "run": run_id,
    }


def count_pairs(
    campaign: Campaign, include_controls: bool = False
) -> list[tuple[int, int, int, int]]:
    """(image, label, selected, answers) of every pair, counted by the database without
    storing anything (a selector, for checks and comparisons)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _pairs_sql() + " SELECT image_id, label_id, selected, answers FROM pairs",
            _args(campaign, include_controls),
        )
        return cursor.fetchall()


def compute_frequencies(campaign: Campaign, include_controls: bool = False) -> FrequencyResult:
    """Count and store every pair's selection frequency (module docstring)."""
    if not ContainsGrid.objects.filter(campaign=campaign).exists():
        raise MissingInput(f"campaign {campaign.name!r} has no grids: build the grids first")
    params = {**campaign.params.as_json(), "include_controls": include_controls}
    with stage_run(campaign, StageRun.Stage.SELECTION_FREQUENCIES, params=params) as run:
        with transaction.atomic():
            SelectionFrequency.objects.filter(campaign=campaign).delete()
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":  # room for the hash aggregates
                    cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute(_insert_sql(), _args(campaign, include_controls, run.pk))
            # counted, not cursor.rowcount: SQLite reports -1 for INSERT with a WITH clause
            pairs = SelectionFrequency.objects.filter(campaign=campaign).count()
        empty = SelectionFrequency.objects.filter(campaign=campaign, answers=0).count()
        answers = ContainsAnswer.objects.filter(grid__campaign=campaign)
        pending = answers.filter(
            qc_status=QcStatus.PENDING, verification=Verification.CONFIRMED
        ).count()
        waiting = answers.filter(verification=Verification.PENDING).count()
        report_progress(run, pairs, pairs)
        run.message = f"{pairs} image-label pairs, {empty} without any kept answer."
        if pending:
            run.message += f" {pending} answer(s) not yet checked by quality control: not counted."
        if waiting:
            run.message += f" {waiting} answer(s) wait for MTurk to confirm them: not counted."
    return FrequencyResult(run.pk, pairs, empty, include_controls, pending)
