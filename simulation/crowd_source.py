"""The simulated crowd as the pipeline's answer source (pipeline.flow.AnswerSource).

By default it answers through the HIT pages and submit endpoints in process
(simulation.http_crowd), as workers do; `direct` writes the answers straight to the database
(simulation.contains_crowd, simulation.classify_crowd), which paper-scale data needs.

In an adaptive campaign (Campaign.contains_min_assignments / classify_min_assignments) the
crowd answers in rounds, as a real crowd would: each task gets the answers asked of it (the
minimum first), then the pipeline's policy weighs them (pipeline.stages.adaptive.review) and
asks for more only where the outcome is not settled; the crowd answers only those, until
nothing more is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.flow import Progress
from pipeline.models import Campaign
from pipeline.stages import adaptive
from simulation.classify_crowd import simulate_classify_answers
from simulation.contains_crowd import simulate_contains
from simulation.http_crowd import crowd_classify, crowd_contains


@dataclass(frozen=True)
class AdaptiveSummary:
    """What the rounds of an adaptive collection came to."""

    kind: str
    rounds: int
    answers: int  # answers stored over all rounds
    fixed_answers: int  # what the fixed design would have asked: tasks x maximum
    last: Any  # the last round's own summary

    def __str__(self) -> str:
        return (
            f"{self.answers} {self.kind} answers in {self.rounds} rounds (adaptive; the fixed "
            f"design asks {self.fixed_answers}); last round: {self.last}"
        )


@dataclass(frozen=True)
class SimulatedCrowd:
    spammer_share: float = 0.1  # CONTAINS: share of the crowd that spams
    spammers: int = 2  # CLASSIFY: spammers in the crowd
    seed: int | None = None  # None: the campaign's
    truth: Mapping[int, frozenset[int]] | None = None  # image -> true labels; None: drawn
    direct: bool = False

    def answer(self, kind: str, campaign: Campaign, progress: Progress | None) -> Any:
        if kind not in adaptive.KINDS:
            raise ValueError(
                f"the simulated crowd answers contains or classify tasks, not {kind!r}"
            )
        if not adaptive.is_adaptive(campaign, kind):
            return self.round(kind, campaign, progress, None)
        return self.adaptive(kind, campaign, progress)

    def round(
        self,
        kind: str,
        campaign: Campaign,
        progress: Progress | None,
        targets: Mapping[int, int] | None,
    ) -> Any:
        """One visit of the crowd: every task up to its target (None: its maximum)."""
        if kind == "contains":
            run = simulate_contains if self.direct else crowd_contains
            return run(
                campaign,
                spammer_share=self.spammer_share,
                seed=self.seed,
                truth=self.truth,
                progress=progress,
                targets=targets,
            )
        if self.direct and targets is not None:
            raise ValueError(
                "the direct CLASSIFY simulator replaces its answers on each run: an adaptive "
                "campaign's CLASSIFY answers go through the HIT pages (direct=False)"
            )
        options: dict[str, Any] = {"targets": targets} if targets is not None else {}
        run_classify: Callable[..., Any] = (
            simulate_classify_answers if self.direct else crowd_classify
        )
        return run_classify(
            campaign, spammers=self.spammers, seed=self.seed, progress=progress, **options
        )

    def adaptive(self, kind: str, campaign: Campaign, progress: Progress | None) -> AdaptiveSummary:
        """Rounds of answers and policy decisions until nothing more is asked."""
        _, maximum = adaptive.bounds(campaign, kind)
        rounds, last = 0, None
        while rounds <= maximum:  # each round asks at least one more answer of some task
            last = self.round(kind, campaign, progress, adaptive.targets(campaign, kind))
            rounds += 1
            if not adaptive.review(campaign, kind).extended:
                break
        answers = sum(adaptive.counted(campaign, kind).values())
        fixed = adaptive.tasks_of(campaign, kind).count() * maximum
        return AdaptiveSummary(kind, rounds, answers, fixed, last)
