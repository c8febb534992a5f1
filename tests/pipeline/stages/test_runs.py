"""A stage's run records its parameters, code version, progress and outcome."""

import pytest

from catalogue.models import Dataset
from pipeline.models import Campaign, StageRun
from pipeline.stages.runs import code_version, report_progress, stage_run


@pytest.fixture
def campaign(db):
    dataset = Dataset.objects.create(name="runs")
    return Campaign.objects.create(name="runs", dataset=dataset, candidate_max=7)


def test_a_finished_block_is_done_with_the_campaign_parameters(campaign):
    with stage_run(campaign, StageRun.Stage.GRIDS, total=10) as run:
        report_progress(run, 4)
        assert StageRun.objects.get(pk=run.pk).done == 4  # visible mid-run
    run.refresh_from_db()
    assert run.status == StageRun.Status.DONE and run.finished_at is not None
    assert run.params["candidate_max"] == 7
    assert run.code_version == code_version() != ""


def test_an_error_marks_the_run_failed_and_propagates(campaign):
    with (
        pytest.raises(ValueError, match="no potential labels"),
        stage_run(campaign, StageRun.Stage.GRIDS),
    ):
        raise ValueError("no potential labels")
    run = StageRun.objects.get(campaign=campaign)
    assert run.status == StageRun.Status.FAILED
    assert "no potential labels" in run.message
