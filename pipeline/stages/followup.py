"""Follow-up on ambiguous images (issue 18): more answers where stage 4 had too few.

An image is ambiguous when its dataset label has fewer surviving CONTAINS answers than stage
4 trusts (pipeline.rules.inclusion): it gets no CLASSIFY task and stays unlabelled. `ask`
asks `more` answers of each grid that shows such an image under its dataset label, through
the same requests as adaptive collection (pipeline.models.AnswerRequest, reason followup):
MTurk additional assignments on the same HIT, or a second HIT where the first cannot pass 9
(crowd.mturk.adaptive.extend_to_targets), new invite slots for the local crowd. The request
is keyed by the answers the grid had, so asking again before they come in asks for nothing
more. `rerun` runs the stages those answers feed, once every asked answer is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import FinelabelError
from crowd.models import GridItem
from pipeline import flow
from pipeline.models import AnswerRequest, Campaign, ImageInclusion
from pipeline.stages import adaptive

MOST_MORE = 20  # answers asked at once per grid at most


@dataclass(frozen=True)
class FollowupReport:
    images: int  # ambiguous images
    grids: int  # grids that show them under their dataset label
    asked: int  # grids asked for more answers now
    answers: int  # answers asked for now

    def __str__(self) -> str:
        return (
            f"{self.images} ambiguous images in {self.grids} grids: {self.answers} more "
            f"answers asked of {self.asked} grids"
        )


def ambiguous_grids(campaign: Campaign) -> tuple[int, list[int]]:
    """(ambiguous images, the grids that show them under their dataset label)."""
    images = ImageInclusion.objects.filter(
        campaign=campaign, category=ImageInclusion.Category.AMBIGUOUS
    ).values("image_id")
    grids = (
        GridItem.objects.filter(
            grid__campaign=campaign,
            image_id__in=images,
            is_control=False,
            grid__query_id=F("image__label_id"),
        )
        .order_by()
        .values_list("grid_id", flat=True)
        .distinct()
    )
    return images.count(), sorted(grids)


def ask(campaign: Campaign, more: int) -> FollowupReport:
    """Ask `more` answers of every grid that shows an ambiguous image (module docstring)."""
    if not 1 <= more <= MOST_MORE:
        raise FinelabelError(f"Ask for 1 to {MOST_MORE} more answers per grid, not {more}.")
    images, grids = ambiguous_grids(campaign)
    want = adaptive.targets(campaign, "contains")
    have = adaptive.counted(campaign, "contains")
    asked = answers = 0
    for grid in grids:
        target = max(want[grid], have.get(grid, 0)) + more
        try:
            with transaction.atomic():
                AnswerRequest.objects.create(
                    campaign=campaign,
                    kind=AnswerRequest.Kind.CONTAINS,
                    grid_id=grid,
                    reason=AnswerRequest.Reason.FOLLOWUP,
                    answers_seen=have.get(grid, 0),
                    target=target,
                )
        except IntegrityError:  # asked already on these answers
            continue
        asked += 1
        answers += target - max(want[grid], have.get(grid, 0))
    return FollowupReport(images, len(grids), asked, answers)


def rerun(campaign: Campaign) -> dict[str, Any]:
    """The stages the follow-up answers feed (CONTAINS quality control to CLASSIFY tasks),
    once every answer asked of the grids is in."""
    short = adaptive.waiting(campaign, "contains")
    if short:
        raise FinelabelError(
            f"{short} grids still wait for the answers asked of them: run this again once "
            "they are in (MTurk: after `mturk sync`)."
        )
    names = [*flow.CONTAINS[1:], flow.CLASSIFY[0]]
    return flow.run_stages(campaign, names)
