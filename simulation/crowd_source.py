"""The simulated crowd as the pipeline's answer source (pipeline.flow.AnswerSource).

By default it answers through the HIT pages and submit endpoints in process
(simulation.http_crowd), as workers do; `direct` writes the answers straight to the database
(simulation.contains_crowd, simulation.classify_crowd), which paper-scale data needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.flow import Progress
from pipeline.models import Campaign
from simulation.classify_crowd import simulate_classify_answers
from simulation.contains_crowd import simulate_contains
from simulation.http_crowd import crowd_classify, crowd_contains


@dataclass(frozen=True)
class SimulatedCrowd:
    spammer_share: float = 0.1  # CONTAINS: share of the crowd that spams
    spammers: int = 2  # CLASSIFY: spammers in the crowd
    seed: int | None = None  # None: the campaign's
    truth: Mapping[int, frozenset[int]] | None = None  # image -> true labels; None: drawn
    direct: bool = False

    def answer(self, kind: str, campaign: Campaign, progress: Progress | None) -> Any:
        if kind == "contains":
            run = simulate_contains if self.direct else crowd_contains
            return run(
                campaign,
                spammer_share=self.spammer_share,
                seed=self.seed,
                truth=self.truth,
                progress=progress,
            )
        if kind == "classify":
            run = simulate_classify_answers if self.direct else crowd_classify
            return run(campaign, spammers=self.spammers, seed=self.seed, progress=progress)
        raise ValueError(f"the simulated crowd answers contains or classify tasks, not {kind!r}")
