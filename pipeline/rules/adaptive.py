"""Stage 5, adaptive collection: when a CLASSIFY task has enough answers.

A campaign sets a minimum and a maximum number of answers per CLASSIFY task (defaults 3 and
9, the paper's 9 as the maximum). Each task is published with the minimum; whenever its
answers are in, `decide` says whether the outcome is settled or how many more answers to ask
for. Pure functions over the plain answers the aggregation takes ((selected labels, main
label) pairs, `pipeline.rules.aggregation.responses_from`); no Django.

The outcome
    What has to come out the same with fewer answers: the aggregate's number of objects, its
    main label and its object labels (each object's most selected label), all computed by
    the aggregation itself (`outcome`), ties included.

The rule: stop when the remaining answers are unlikely to change the outcome
    Let n answers be in and r = maximum - n still possible. The answers so far are grouped
    into types (same set of labels, same main label). The remaining r answers are modelled as
    draws from a Polya urn over those types (a Dirichlet-multinomial: each type weighs its
    count plus PRIOR pseudo-answers; every draw adds to its type). Every possible completion
    (how many of the r answers fall in each type) is aggregated with the aggregation's own
    code, so ties are broken exactly as there (first met), and its probability is summed
    when its outcome differs from the current one. That sum is the risk; the task stops when
    the risk is at most MAX_RISK. There are at most a few dozen completions with the default
    bounds (compositions of r into the observed types); past COMPLETION_BUDGET of them the
    rule does not guess and asks for one more answer.

    Why this rule (figures from `manage.py replay_adaptive` on classify_dev.jsonl, recorded
    in bench/README.md). A worst-case check (stop when no completion at all could change
    the outcome) never errs on what it checks but stops late: on the number of objects and
    main label alone it saves 20.3% at 98.6% agreement (object labels still move), and
    checking object labels too can only save less. The urn's risk is calibrated on the
    published answers: over every state of 3 to 8 answers, those it puts at 2-5% changed
    outcome 3.0% of the time, at 10-20% 14.4%, at 20-40% 28.3%. It has two parameters that
    do not depend on images (MAX_RISK, PRIOR; savings hardly move for PRIOR from 0.25 to 2),
    and it ranked states as well as every richer variant tried: separate urns for the
    number of objects, the main label and each object's label (with the dataset label or
    a single-object prior as extra pseudo-votes, counts discounted for overdispersion),
    an optimal-stopping rule on the same urn, and change rates learnt per vote pattern
    (cross-validated): none passed 29.2% saved at 99% agreement. MAX_RISK = 0.05 keeps a
    margin over 99% in file order, in both halves of the file and on average over random
    answer orders.

    Answer types never seen are not in the urn, so identical answers have risk 0: three of
    them settle a task at the minimum. On the published answers 2.2% of those tasks later
    changed outcome (runs of answers that turn); stopping there is still the cheapest
    saving there is: 6 answers for 0.022 disagreements.

Fewer than 3 answers
    The urn is not consulted on fewer than SMALLEST_SAMPLE answers, whatever the minimum:
    two identical answers would have risk 0 too, and stopping on them agrees with all
    answers on 96.3% of images only (the identical-2 baseline). A smaller minimum publishes
    fewer answers first and no more.

How many more
    While unsettled, `decide` asks for the fewest answers that could settle the task: the
    smallest m such that m more copies of some answer type already seen would bring the risk
    under MAX_RISK (r when none would). Fewer answers could settle it only by luck (answers
    unlike the types seen mostly raise the risk): on the published answers, batches of m
    cost 1 answer in 23,213 over asking one at a time and cut the rounds of publishing
    from 6.3 to 2.9 per image.

Baselines (the simple stopping rules this policy is compared with)
    `settled_majority`: stop once the remaining answers can no longer change the majority
    number of objects and main label (a tie counts as a change). `identical_start`: stop
    after the first `count` answers if they are identical, else collect up to the maximum.

Replay
    `collect` runs a policy over one image's answers in order, as a campaign would receive
    them: the policy is consulted when the answers it asked for have all come in. An image
    with fewer answers than the maximum (quality control dropped some) is replayed with its
    own number of answers as the maximum, since those are all the answers there are to
    compare with. `ReplayFigures` sums what the command reports.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.rules.aggregation import (
    Response,
    coselection_weights,
    main_label,
    max_k_cut,
    num_objects,
    partition,
    partition_answers,
    partition_label_order,
    responses_from,
    selection_counts,
)

MIN_ANSWERS = 3
MAX_ANSWERS = 9  # the paper's 9 workers per task
MAX_RISK = 0.05  # stop when the remaining answers change the outcome with at most this chance
PRIOR = 0.5  # pseudo-answers added to each answer type seen (Jeffreys-like)
COMPLETION_BUDGET = 20_000  # completions summed at most; with 3..9 answers at most 70
SMALLEST_SAMPLE = 3  # the urn is not consulted on fewer answers ("Fewer than 3 answers")

Answer = tuple[Iterable[int], int]
Outcome = tuple[int, int, frozenset[int]]


@dataclass(frozen=True)
class Decision:
    """What to do with a task: stop (`more` == 0) or ask for `more` answers.

    `risk` is the chance that the remaining answers change the outcome: exact when the task
    stops on it, a lower bound above the threshold when it goes on (the sum stops early),
    None when it was not computed (minimum not reached, too many completions).
    """

    more: int
    risk: float | None
    reason: str

    @property
    def stop(self) -> bool:
        return self.more == 0


def check_bounds(minimum: int, maximum: int) -> None:
    if not 1 <= minimum <= maximum:
        raise ValueError(
            f"need 1 <= minimum <= maximum answers per task, got minimum {minimum} "
            f"and maximum {maximum}"
        )


def outcome(responses: Sequence[Response]) -> Outcome:
    """Number of objects, main label and object labels of the aggregate of `responses`.

    The same values as `aggregate_image`'s `num_objects`, `main_label` and
    `object_labels(objects)`, without the figures the stopping rule does not need.
    """
    k = num_objects(responses)
    counts = selection_counts(responses)
    labels = frozenset(max(obj, key=counts.__getitem__) for obj in partition(responses, k))
    return k, main_label(responses), labels


# --- the risk that the remaining answers change the outcome ----------------------------


def _compositions(total: int, parts: int) -> Iterable[tuple[int, ...]]:
    """Every way to split `total` draws over `parts` types."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def _first_mode(counts: dict[int, int]) -> int:
    """Most frequent value of a count dict, a tie going to the value met first."""
    top = max(counts.values())
    return next(value for value, count in counts.items() if count == top)


def _pairs(labels: Sequence[int], selected: Sequence[int]) -> list[tuple[int, int]]:
    """Index pairs, in `labels`, of the labels that one answer selected together."""
    index = {label: i for i, label in enumerate(labels)}
    positions = [index[label] for label in selected]
    return [(i, j) for a, i in enumerate(positions) for j in positions[a + 1 :]]


def _rising(weight: float, draws: int) -> list[float]:
    """weight * (weight + 1) * ... for 0..draws factors."""
    values = [1.0]
    for i in range(draws):
        values.append(values[-1] * (weight + i))
    return values


def answer_types(responses: Sequence[Response]) -> list[tuple[Response, int]]:
    """Distinct answers (same label set, same main label) in order met, with their counts."""
    types: dict[tuple[frozenset[int], int], list[Any]] = {}
    for response in responses:
        key = (frozenset(response.selected), response.main)
        if key in types:
            types[key][1] += 1
        else:
            types[key] = [response, 1]
    return [(response, count) for response, count in types.values()]


class Completions:
    """The answers so far, and the outcomes of adding more answers of the types seen.

    Added answers are a count per type. The outcome of the answers so far plus added ones
    depends only on those counts, not on the order they come in: every label and value they
    carry is already in the answers so far, so the aggregation meets everything first there
    (first-met ties, the order of labels, the partition's label order all stay). The counts
    the aggregation takes its majorities of are therefore the answers so far plus each
    type's share, which `outcome` adds up instead of aggregating a list of answers again
    (tests check it against `outcome` of the list). Outcomes are kept, since the same
    completions come back while looking for how many more answers to ask for.
    """

    def __init__(self, responses: Sequence[Response], prior: float = PRIOR):
        if not responses:
            raise ValueError("no answers to complete")
        self.responses = list(responses)
        types = answer_types(responses)
        self.types = [response for response, _ in types]
        self.counts = [count for _, count in types]
        self.prior = prior
        self._outcomes: dict[tuple[int, ...], Outcome] = {}
        # Dicts keep the order in which the aggregation meets values and labels.
        self.lengths = Counter(len(r.selected) for r in responses)
        self.mains = Counter(r.main for r in responses)
        self.selections = selection_counts(responses)
        answers = partition_answers(responses)
        self.partition_labels = partition_label_order(answers)
        self.weights = coselection_weights(self.partition_labels, answers)
        self.type_pairs = [
            _pairs(self.partition_labels, r.selected) if len(r.selected) > 1 else []
            for r in self.types
        ]

    def outcome(self, added: tuple[int, ...]) -> Outcome:
        """Outcome of the answers so far plus `added[t]` more answers of each type t."""
        known = self._outcomes.get(added)
        if known is not None:
            return known
        lengths, mains, selections = dict(self.lengths), dict(self.mains), dict(self.selections)
        weights = None
        for response, count, pairs in zip(self.types, added, self.type_pairs, strict=True):
            if not count:
                continue
            lengths[len(response.selected)] += count
            mains[response.main] += count
            for label in response.selected:
                selections[label] += count
            if pairs:
                if weights is None:
                    weights = [list(row) for row in self.weights]
                for i, j in pairs:
                    weights[i][j] += count
                    weights[j][i] += count
        k = _first_mode(lengths)
        if k == 1:
            objects = [list(selections)]
        else:
            groups = max_k_cut(self.weights if weights is None else weights, k)
            labels = self.partition_labels
            objects = [
                [label for label, g in zip(labels, groups, strict=True) if g == k - 1 - j]
                for j in range(k)
            ]
        object_labels = frozenset(max(obj, key=selections.__getitem__) for obj in objects)
        known = self._outcomes[added] = (k, _first_mode(mains), object_labels)
        return known

    def risk(
        self, added: tuple[int, ...], remaining: int, limit: float | None = None
    ) -> float | None:
        """Chance that `remaining` more answers change the outcome of the answers so far
        plus `added`, under the Polya urn.

        Summing stops as soon as it passes `limit` (the value returned is then a lower
        bound). None when there would be more than COMPLETION_BUDGET completions to sum.
        """
        if remaining <= 0:
            return 0.0
        parts = len(self.types)
        if math.comb(remaining + parts - 1, parts - 1) > COMPLETION_BUDGET:
            return None
        current = self.outcome(added)
        weights = [c + a + self.prior for c, a in zip(self.counts, added, strict=True)]
        rising = [_rising(weight, remaining) for weight in weights]
        factorial = [math.factorial(i) for i in range(remaining + 1)]
        scale = factorial[remaining] / _rising(sum(weights), remaining)[remaining]
        risk = 0.0
        for draws in _compositions(remaining, parts):
            final = tuple(a + d for a, d in zip(added, draws, strict=True))
            if self.outcome(final) == current:
                continue
            chance = scale
            for table, count in zip(rising, draws, strict=True):
                chance *= table[count] / factorial[count]
            risk += chance
            if limit is not None and risk > limit:
                break
        return risk

    def settles(self, added: tuple[int, ...], maximum: int, max_risk: float) -> bool:
        remaining = maximum - len(self.responses) - sum(added)
        risk = self.risk(added, remaining, limit=max_risk)
        return risk is not None and risk <= max_risk

    def fewest_to_settle(self, maximum: int, max_risk: float) -> int:
        """The smallest m such that m more answers of one type seen settle the task."""
        remaining = maximum - len(self.responses)
        order = sorted(range(len(self.types)), key=lambda t: -self.counts[t])
        for more in range(1, remaining):
            for t in order:
                added = tuple(more if i == t else 0 for i in range(len(self.types)))
                if self.settles(added, maximum, max_risk):
                    return more
        return remaining


def change_risk(
    responses: Sequence[Response],
    remaining: int,
    prior: float = PRIOR,
    limit: float | None = None,
) -> float | None:
    """Chance that `remaining` more answers change the outcome of `responses` (see
    `Completions.risk`)."""
    completions = Completions(responses, prior)
    return completions.risk((0,) * len(completions.types), remaining, limit)


def decide(
    answers: Iterable[Answer],
    minimum: int = MIN_ANSWERS,
    maximum: int = MAX_ANSWERS,
    max_risk: float = MAX_RISK,
    prior: float = PRIOR,
) -> Decision:
    """Stop, or how many more answers to ask for, given a task's answers so far."""
    check_bounds(minimum, maximum)
    if not 0 <= max_risk < 1 or prior <= 0:
        raise ValueError(f"need 0 <= max_risk < 1 and prior > 0, got {max_risk} and {prior}")
    responses = responses_from(answers)
    n = len(responses)
    if n >= maximum:
        return Decision(0, None, "maximum reached")
    if n < minimum:
        return Decision(minimum - n, None, "minimum not reached")
    if n < SMALLEST_SAMPLE:
        return Decision(min(SMALLEST_SAMPLE, maximum) - n, None, "too few answers to weigh")
    completions = Completions(responses, prior)
    risk = completions.risk((0,) * len(completions.types), maximum - n, limit=max_risk)
    if risk is not None and risk <= max_risk:
        return Decision(0, risk, "settled")
    if risk is None:
        return Decision(1, None, "too many completions to weigh")
    return Decision(completions.fewest_to_settle(maximum, max_risk), risk, "unsettled")
