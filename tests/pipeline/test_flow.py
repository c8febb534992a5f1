"""pipeline.flow: the stages in order, and where a crowd answers between them."""

import pytest

from core.errors import FinelabelError, MissingInput
from crowd.models import ClassifyAnswer, ContainsAnswer
from pipeline import flow
from pipeline.models import ImageLabels, StageRun
from simulation.crowd_source import SimulatedCrowd
from tests.builders import ORANGE, SOCCER_BALL, TABBY


def test_stages_are_listed_once_in_the_order_runs_record_them():
    assert [stage.name for stage in flow.STAGES] == list(StageRun.Stage.values)
    assert [stage.number for stage in flow.STAGES] == sorted(s.number for s in flow.STAGES)
    assert tuple(s.name for s in flow.STAGES[1:]) == flow.CONTAINS + flow.CLASSIFY


class Recording:
    """An answer source that notes when it was asked, and lets a simulated crowd answer."""

    def __init__(self):
        self.calls: list[tuple[str, int, int]] = []
        self.crowd = SimulatedCrowd(spammer_share=0.0, spammers=0, seed=1, direct=True)

    def answer(self, kind, campaign, progress):
        before = (ContainsAnswer.objects.count(), ClassifyAnswer.objects.count())
        self.calls.append((kind, *before))
        return self.crowd.answer(kind, campaign, progress)


@pytest.mark.django_db
def test_a_campaign_runs_to_final_labels_with_the_crowd_asked_between_stages(make_campaign):
    campaign = make_campaign([TABBY, SOCCER_BALL, ORANGE], 12, extra=2)
    source, lines = Recording(), []
    names = [*flow.CONTAINS, *flow.CLASSIFY]
    summaries = flow.run_stages(campaign, names, source, log=lines.append)
    # Asked once per crowd task kind, right after the stage that made the tasks, with no
    # answers stored yet of that kind.
    assert source.calls == [("contains", 0, 0), ("classify", ContainsAnswer.objects.count(), 0)]
    assert list(summaries) == [
        "grids",
        "contains_answers",
        *flow.CONTAINS[1:],
        "classify_tasks",
        "classify_answers",
        *flow.CLASSIFY[1:],
    ]
    assert ImageLabels.objects.filter(campaign=campaign).count() == 36
    assert [line.split(":")[0] for line in lines[1:]] == list(summaries)[1:]


@pytest.mark.django_db
def test_without_a_source_the_stored_answers_are_used(make_campaign):
    campaign = make_campaign([TABBY, ORANGE], 10, extra=1)
    assert flow.run_stages(campaign, ["grids"])["grids"].grids > 0
    with pytest.raises(MissingInput, match="no CONTAINS answers to check"):
        flow.run_stages(campaign, flow.CONTAINS[1:])
    Recording().crowd.answer("contains", campaign, None)
    summaries = flow.run_stages(campaign, flow.CONTAINS[1:])
    assert summaries["contains_qc"].answers == ContainsAnswer.objects.count() > 0


def test_a_name_that_is_no_stage_of_the_flow_is_refused():
    with pytest.raises(FinelabelError, match="not a stage the flow runs: potential_labels, nope"):
        flow.run_stages(None, ["potential_labels", "nope"])


def test_a_long_list_of_grid_warnings_is_summarised():
    warnings = [f"label {n}: 2 control images, fewer than 5" for n in range(140)]
    lines = flow.warning_lines(warnings)
    assert lines[: flow.SHOWN_WARNINGS] == [f"warning: {w}" for w in warnings[:5]]
    assert lines[-1].startswith("... and 135 more warnings") and len(lines) == 6
    assert len(flow.warning_lines(warnings, shown=len(warnings))) == 140  # -v 2 shows them all
    assert flow.warning_lines(warnings[:3]) == [f"warning: {w}" for w in warnings[:3]]
