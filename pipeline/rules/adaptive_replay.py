"""Baselines of the adaptive CLASSIFY policy and its replay over recorded answers.

The replay feeds each image's answers, in order, to a policy (pipeline.rules.adaptive or a
baseline) and compares the aggregate of what it would have collected with the aggregate of
all the answers (`manage.py replay_adaptive`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.rules.adaptive import (
    MAX_ANSWERS,
    MAX_RISK,
    MIN_ANSWERS,
    PRIOR,
    Answer,
    Decision,
    check_bounds,
    decide,
)
from pipeline.rules.aggregation import (
    aggregate_answers,
    first_mode,
    object_labels,
    responses_from,
)

# --- baselines ---------------------------------------------------------------------------


def _out_of_reach(values: Sequence[int], remaining: int) -> bool:
    """No value, seen or new, can reach the leader's count with `remaining` more votes."""
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    ordered = sorted(counts.values(), reverse=True)
    runner_up = ordered[1] if len(ordered) > 1 else 0
    return runner_up + remaining < ordered[0]


def settled_majority(
    answers: Iterable[Answer], minimum: int = MIN_ANSWERS, maximum: int = MAX_ANSWERS
) -> Decision:
    """Baseline: stop once the remaining answers cannot change the majority number of
    objects and main label (a tie counts as a change)."""
    check_bounds(minimum, maximum)
    responses = responses_from(answers)
    n = len(responses)
    if n < minimum:
        return Decision(minimum - n, None, "minimum not reached")
    if n >= maximum:
        return Decision(0, None, "maximum reached")
    remaining = maximum - n
    lengths = [len(r.selected) for r in responses]
    mains = [r.main for r in responses]
    if _out_of_reach(lengths, remaining) and _out_of_reach(mains, remaining):
        return Decision(0, 0.0, "settled")
    lead_length, lead_main = first_mode(lengths), first_mode(mains)
    for more in range(1, remaining):  # the fewest answers agreeing with both leaders that settle
        left = remaining - more
        if _out_of_reach(lengths + [lead_length] * more, left) and _out_of_reach(
            mains + [lead_main] * more, left
        ):
            return Decision(more, None, "unsettled")
    return Decision(remaining, None, "unsettled")


def identical_start(
    answers: Iterable[Answer], count: int = 3, maximum: int = MAX_ANSWERS
) -> Decision:
    """Baseline: stop after the first `count` answers if they are identical (same labels,
    same main label); otherwise collect up to the maximum."""
    check_bounds(count, maximum)
    responses = responses_from(answers)
    n = len(responses)
    if n < count:
        return Decision(count - n, None, "minimum not reached")
    first = {(frozenset(r.selected), r.main) for r in responses[:count]}
    if len(first) == 1 or n >= maximum:
        return Decision(0, None, "identical" if len(first) == 1 else "maximum reached")
    return Decision(maximum - n, None, "unsettled")


# --- replay over recorded answers ------------------------------------------------------

Policy = Callable[[Sequence[Answer], int], Decision]  # answers so far, this image's maximum


def collect(answers: Sequence[Answer], policy: Policy, maximum: int) -> tuple[int, int]:
    """How many of `answers`, taken in order, `policy` collects, and in how many rounds.

    The image's maximum is `maximum` or its number of answers, whichever is smaller.
    """
    cap = min(maximum, len(answers))
    n = rounds = 0
    while n < cap:
        decision = policy(answers[:n], cap)
        if decision.stop:
            break
        if decision.more < 1:
            raise ValueError(f"policy asked for {decision.more} more answers")
        rounds += 1
        n = min(cap, n + decision.more)
    return n, rounds


def same_outcome(mine: dict[str, Any], full: dict[str, Any]) -> bool:
    """Two aggregates agree on the number of objects, the main label and the object labels
    (each object's most selected label)."""
    return (
        mine["num_objects"] == full["num_objects"]
        and mine["main_label"] == full["main_label"]
        and set(object_labels(mine["objects"])) == set(object_labels(full["objects"]))
    )


def same_partition(mine: dict[str, Any], full: dict[str, Any]) -> bool:
    """Two aggregates group the same labels into the same objects (order ignored)."""
    return _partition(mine) == _partition(full)


def _partition(aggregate: dict[str, Any]) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(obj) for obj in aggregate["objects"])


@dataclass
class ReplayFigures:
    """Totals of one policy over one answer order."""

    images: int = 0
    answers: int = 0  # every answer in the input
    collected: int = 0  # answers the policy would have collected
    agree: int = 0  # images whose outcome comes out the same
    partition_agree: int = 0  # images whose partition comes out the same
    rounds: int = 0  # batches of answers published, the first included

    def add(self, answers: int, collected: int, same: bool, same_partition: bool, rounds: int):
        self.images += 1
        self.answers += answers
        self.collected += collected
        self.agree += same
        self.partition_agree += same_partition
        self.rounds += rounds

    @property
    def saved(self) -> float:
        return 1 - self.collected / self.answers if self.answers else 0.0

    @property
    def agreement(self) -> float:
        return self.agree / self.images if self.images else 0.0

    @property
    def partition_agreement(self) -> float:
        return self.partition_agree / self.images if self.images else 0.0


def policies(
    minimum: int = MIN_ANSWERS, max_risk: float = MAX_RISK, prior: float = PRIOR
) -> dict[str, Policy]:
    """The project's policy and the issue's three baselines, by name."""

    def adaptive(answers: Sequence[Answer], maximum: int) -> Decision:
        return decide(answers, min(minimum, maximum), maximum, max_risk, prior)

    def majority(answers: Sequence[Answer], maximum: int) -> Decision:
        return settled_majority(answers, min(minimum, maximum), maximum)

    def identical(count: int) -> Policy:
        return lambda answers, maximum: identical_start(answers, min(count, maximum), maximum)

    return {
        "adaptive": adaptive,
        "settled-majority": majority,
        "identical-3": identical(3),
        "identical-2": identical(2),
    }


POLICY_NAMES = tuple(policies())


def replay(
    records: Iterable[dict[str, Any]],
    named: dict[str, Policy],
    maximum: int = MAX_ANSWERS,
    shuffle: Callable[[list[Answer]], None] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, ReplayFigures]:
    """Each policy of `named` over every record's answers (in file order, or as `shuffle`
    reorders them), against the aggregate of all the record's answers.

    Records are shaped like classify_dev.jsonl (`imagenet_label`, `responses` with
    `selected` and `main`), already checked (`pipeline.replay.read_records`).
    """
    figures = {name: ReplayFigures() for name in named}
    for record in records:
        answers: list[Answer] = [(r["selected"], r["main"]) for r in record["responses"]]
        if shuffle is not None:
            shuffle(answers)
        label = record["imagenet_label"]
        full = aggregate_answers(answers, label)
        prefixes: dict[int, dict[str, Any]] = {len(answers): full}
        for name, policy in named.items():
            n, rounds = collect(answers, policy, maximum)
            if n not in prefixes:
                prefixes[n] = aggregate_answers(answers[:n], label)
            mine = prefixes[n]
            figures[name].add(
                len(answers), n, same_outcome(mine, full), same_partition(mine, full), rounds
            )
        if progress is not None:
            progress(1)
    return figures
