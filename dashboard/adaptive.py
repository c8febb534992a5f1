"""The dashboard's adaptive-collection section (reads only; its follow-up button posts to the
campaign pages, studio.views.ask_followup).

Per stage: the answers collected against the fixed design's (every task x its maximum), the
answers and money saved (at the campaign's reward and MTurk's fee for HITs of that size),
tasks still waiting for answers asked of them, and follow-up requests on ambiguous images.
The button asks for more answers on the ambiguous images' grids (pipeline.stages.followup);
MTurk HITs are extended by the explicit command `manage.py followup ask|adaptive --campaign C
--mturk`, never from the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crowd.mturk.costs import assignment_cost
from pipeline.models import AnswerRequest, Campaign
from pipeline.stages import adaptive, followup


@dataclass(frozen=True)
class StageSavings:
    kind: str
    minimum: int | None
    maximum: int
    tasks: int
    answers: int
    waiting: int
    reward: Decimal

    @property
    def fixed(self) -> int:
        return self.tasks * self.maximum

    @property
    def saved(self) -> int:
        return max(0, self.fixed - self.answers)

    @property
    def saved_share(self) -> float:
        return self.saved / self.fixed if self.fixed else 0.0

    @property
    def money_saved(self) -> Decimal:
        return self.saved * assignment_cost(self.reward, self.maximum)


def adaptive_section(campaign: Campaign) -> dict:
    """What the section shows; `shown` False for a fixed-design campaign with no follow-up."""
    rewards = {"contains": campaign.contains_reward, "classify": campaign.classify_reward}
    stages = []
    for kind in adaptive.KINDS:
        minimum, maximum = adaptive.bounds(campaign, kind)
        have = adaptive.counted(campaign, kind)
        stages.append(
            StageSavings(
                kind=AnswerRequest.Kind(kind).label,
                minimum=minimum,
                maximum=maximum,
                tasks=len(have),
                answers=sum(have.values()),
                waiting=adaptive.waiting(campaign, kind),
                reward=rewards[kind],
            )
        )
    requests = AnswerRequest.objects.filter(campaign=campaign, reason="followup").count()
    adaptive_stages = [s for s in stages if s.minimum is not None]
    grids = len(followup.ambiguous_grids(campaign)[1])
    return {
        "shown": bool(adaptive_stages or requests or grids),
        "stages": adaptive_stages,
        "answers_saved": sum(s.saved for s in adaptive_stages),
        "money_saved": sum((s.money_saved for s in adaptive_stages), Decimal(0)),
        "followup_requests": requests,
        "ambiguous_grids": grids,
        "more_choices": (1, 2, 3, 5),
    }
