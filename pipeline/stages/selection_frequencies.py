"""Selection frequencies: for every (image, potential label) pair of a campaign, how many kept
CONTAINS answers selected the image in a grid whose query is that label, over how many kept
answers saw it there (PIPELINE.md, stage 2). Counted by PostgreSQL (or SQLite) in one
INSERT ... SELECT with GROUP BY: grid items LEFT JOIN the grid's kept answers LEFT JOIN the
selection of that item by that answer; COUNT(answer) is the denominator, COUNT(selection)
the numerator. No selection row passes through Python.

Every tested pair gets a row, also when no answer of its grid survived quality control:
then `answers` is 0 and `frequency` is NULL (stage 4 calls such images ambiguous). Only
answers with qc_status "kept" count: pending ones (quality control not run) do not, so run
quality control first.

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
- pipeline.grids keeps the roles apart already: an image whose dataset label is q is tested
  for q in exactly one q-grid and only serves as a control in the others.
`include_controls=True` (command flag `--include-controls`) counts them anyway, recorded in
the run's parameters, for comparison.

The previous run's rows are replaced in the same transaction (DELETE then INSERT).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from annotation.models import (
    Campaign,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    SelectionFrequency,
    StageRun,
)
from pipeline.stages.errors import MissingInput
from pipeline.stages.runs import report_progress, stage_run


@dataclass
class FrequencyResult:
    run_id: int
    pairs: int  # rows stored
    pairs_without_answers: int  # no kept answer: frequency NULL
    include_controls: bool
    pending_answers: int  # answers quality control has not judged yet: not counted


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_sql() -> str:
    float_type = SelectionFrequency._meta.get_field("frequency").db_type(connection)
    return f"""
        INSERT INTO {_table(SelectionFrequency)}
            (campaign_id, image_id, label_id, selected, answers, frequency, run_id)
        SELECT g.campaign_id, gi.image_id, g.query_id, COUNT(s.id), COUNT(a.id),
               CASE WHEN COUNT(a.id) > 0
                    THEN CAST(COUNT(s.id) AS {float_type}) / CAST(COUNT(a.id) AS {float_type})
               END,
               %s
        FROM {_table(GridItem)} gi
        JOIN {_table(ContainsGrid)} g ON g.id = gi.grid_id
        LEFT JOIN {_table(ContainsAnswer)} a ON a.grid_id = g.id AND a.qc_status = %s
        LEFT JOIN {_table(ContainsSelection)} s ON s.answer_id = a.id AND s.item_id = gi.id
        WHERE g.campaign_id = %s AND (gi.is_control = %s OR %s)
        GROUP BY g.campaign_id, gi.image_id, g.query_id
    """


def compute_frequencies(campaign: Campaign, include_controls: bool = False) -> FrequencyResult:
    """Count and store every pair's selection frequency (module docstring)."""
    if not ContainsGrid.objects.filter(campaign=campaign).exists():
        raise MissingInput(f"campaign {campaign.name!r} has no grids: build the grids first")
    params = {**campaign.params.as_json(), "include_controls": include_controls}
    with stage_run(campaign, StageRun.Stage.SELECTION_FREQUENCIES, params=params) as run:
        with transaction.atomic():
            SelectionFrequency.objects.filter(campaign=campaign).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    _insert_sql(), [run.pk, QcStatus.KEPT, campaign.pk, False, include_controls]
                )
                pairs = cursor.rowcount
        empty = SelectionFrequency.objects.filter(campaign=campaign, answers=0).count()
        pending = ContainsAnswer.objects.filter(
            grid__campaign=campaign, qc_status=QcStatus.PENDING
        ).count()
        report_progress(run, pairs, pairs)
        run.message = f"{pairs} image-label pairs, {empty} without any kept answer."
        if pending:
            run.message += f" {pending} answer(s) not yet checked by quality control: not counted."
    return FrequencyResult(run.pk, pairs, empty, include_controls, pending)
