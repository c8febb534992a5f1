"""Stage 6: aggregation of one image's CLASSIFY answers into objects (PIPELINE.md).

A pure function over plain values: the answers that survived quality control
(`pipeline.rules.classify_qc`) and the dataset label go in, a JSON-ready dict comes out, in
exactly the shape of the `reference` field the authors published (shared/datasets/README.md):

    {"num_objects": int, "main_label": int,
     "objects": [{"<label>": [share within the object, selection frequency], ...}, ...],
     "main_object": int | None, "imagenet_object": int | None}

Why the rules below: the published aggregates of Tsipras et al. are the yardstick, and the
paper's text leaves several choices open. Each rule here is the one that reproduces every
image of shared/datasets/classify_dev.jsonl (see bench/score_reference.py); none is tuned
per image.

Majorities
    `num_objects` is the most frequent length of `selected`, `main_label` the most frequent
    `main`. Ties go to the value met first in answer order.

Which answers feed the partition
    With one object, every selected label is in it. With two or more, the partition is
    computed from the answers that selected two labels or more only: a label that no such
    answer selected (it was only ever picked alone) is left out of the objects altogether.
    The counts behind shares and selection frequencies still use every answer.

The partition (a max-k-cut)
    Edge weight between two labels = number of answers that selected both (workers who saw
    them as different objects). The objects are the k groups that maximise the weight cut
    between groups, i.e. minimise the weight left inside groups; every group is non-empty.

Tie-breaking of the partition, and the order of objects and labels
    The authors evidently enumerated assignments label -> group in itertools.product order,
    over the labels in the iteration order of a Python set filled in answer order, and kept
    the *last* best assignment. Equivalently: among the optimal partitions, take the one
    whose restricted-growth string (first label in group 0, each new group numbered next)
    is smallest in that label order; object j is the group numbered k-1-j. Inside an
    object, labels keep that set order. The set order is CPython's iteration order of a set
    of small ints, which does not vary between runs (int hashes are not randomised); it is
    kept as is because the published data depends on it. With one object, labels come in
    order of first selection in the answers.

Main object and dataset object
    `main_object` is not simply the object that holds `main_label`: each answer votes for
    the object holding its own `main`, and the object with most votes wins, a tie going to
    the lower object index (answers whose main label is in no object do not vote). The two
    differ on 20 of the 2,636 published images, and the votes explain all 20.
    `imagenet_object` is the object holding the dataset label, or None when the label is in
    no object (nobody selected it, or only alone on an image of several objects).

Numbers
    Selection frequency = answers that selected the label / all answers. Share = the label's
    selections / all selections of the object's labels. Plain float division, not rounded.
    Labels are keyed by their id as a string, as in JSON.

Search bounds (exhaustive limit and what happens past it)
    The partition is found by depth-first branch and bound over restricted-growth strings
    (set partitions into exactly k non-empty blocks) in the order above. A branch is cut
    when the weight already inside groups plus a lower bound for the labels still to place
    (the least each must add to an open group) cannot beat the best so far; a greedy
    partition improved by single-label moves (local search) gives the first bound. The
    search gets SEARCH_WORK_BUDGET label-steps (a node at depth i of n costs n - i, a leaf
    1), a few tens of milliseconds: enough for the whole tree of up to
    EXHAUSTIVE_MAX_LABELS (9) labels whatever k and whatever the weights, so those images
    are always exact, ties included. With more labels (12+ happens when candidate sets are
    large) the search is still exact whenever pruning keeps it within the budget, which is
    the usual case for real answers; otherwise it stops at the budget and returns the best
    partition met, never worse than the local-search one. Such a result may miss the
    optimum or break a tie differently, but the time per image stays bounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T", bound=Hashable)

# Work allowed to the exact search, in label-steps (a node at depth i < n costs n - i, a
# leaf 1): a few tens of ms of CPython. The whole tree for 9 labels fits, for any k.
SEARCH_WORK_BUDGET = 50_000
EXHAUSTIVE_MAX_LABELS = 9
LOCAL_SEARCH_MAX_PASSES = 50


@dataclass(frozen=True)
class Response:
    """One surviving CLASSIFY answer: the labels marked valid and the main-object label."""

    selected: tuple[int, ...]
    main: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Response:
        return cls(selected=tuple(data["selected"]), main=data["main"])


def first_mode(values: Iterable[T]) -> T:
    """Most frequent value; a tie goes to the value met first."""
    counts = Counter(values)
    if not counts:
        raise ValueError("no values to take a majority of")
    top = max(counts.values())
    return next(value for value, count in counts.items() if count == top)


def num_objects(responses: Sequence[Response]) -> int:
    """Most frequent number of labels selected per answer."""
    return first_mode(len(r.selected) for r in responses)


def main_label(responses: Sequence[Response]) -> int:
    """Most frequent main-object label."""
    return first_mode(r.main for r in responses)


def selection_counts(responses: Sequence[Response]) -> Counter[int]:
    """How many answers selected each label, labels in order of first selection."""
    counts: Counter[int] = Counter()
    for response in responses:
        counts.update(dict.fromkeys(response.selected, 1))
    return counts


def partition_answers(responses: Sequence[Response]) -> list[tuple[int, ...]]:
    """The answers the partition is computed from: those that selected two labels or more."""
    return [tuple(dict.fromkeys(r.selected)) for r in responses if len(set(r.selected)) > 1]


def partition_label_order(answers: Sequence[Sequence[int]]) -> list[int]:
    """The labels of `answers` in the iteration order of a set filled in answer order."""
    labels: set[int] = set()
    for answer in answers:
        for label in answer:
            labels.add(label)
    return list(labels)


def coselection_weights(labels: Sequence[int], answers: Iterable[Sequence[int]]) -> list[list[int]]:
    """Symmetric matrix over `labels`: how many answers selected both labels."""
    index = {label: i for i, label in enumerate(labels)}
    weights = [[0] * len(labels) for _ in labels]
    for answer in answers:
        positions = [index[label] for label in answer if label in index]
        for a, i in enumerate(positions):
            for j in positions[a + 1 :]:
                weights[i][j] += 1
                weights[j][i] += 1
    return weights


def internal_weight(weights: Sequence[Sequence[int]], groups: Sequence[int]) -> int:
    """Weight left inside groups by an assignment (total weight minus the cut)."""
    n = len(groups)
    return sum(weights[i][j] for i in range(n) for j in range(i + 1, n) if groups[i] == groups[j])


def _greedy_groups(weights: Sequence[Sequence[int]], k: int) -> list[int]:
    """Each label in turn into the group where it adds least weight (a new group adds none)."""
    n = len(weights)
    groups: list[int] = []
    for i in range(n):
        opened = max(groups, default=-1) + 1
        if k - opened >= n - i:
            groups.append(opened)  # just enough labels left to fill the empty groups
            continue
        costs = [0] * k
        for j, g in enumerate(groups):
            costs[g] += weights[i][j]
        groups.append(min(range(min(opened + 1, k)), key=lambda h: (costs[h], h)))
    return groups


def _local_search(weights: Sequence[Sequence[int]], groups: list[int], k: int) -> list[int]:
    """Move single labels to a cheaper group while that helps and no group empties."""
    n = len(groups)
    for _ in range(LOCAL_SEARCH_MAX_PASSES):
        improved = False
        sizes = Counter(groups)
        for i in range(n):
            costs = [0] * k
            for j in range(n):
                if j != i:
                    costs[groups[j]] += weights[i][j]
            best = min(range(k), key=lambda h: (costs[h], h))
            if costs[best] < costs[groups[i]] and sizes[groups[i]] > 1:
                sizes[groups[i]] -= 1
                sizes[best] += 1
                groups[i] = best
                improved = True
        if not improved:
            break
    return groups


def _canonical(groups: Sequence[int]) -> tuple[int, ...]:
    """Renumber groups in order of first appearance (a restricted-growth string)."""
    names: dict[int, int] = {}
    return tuple(names.setdefault(g, len(names)) for g in groups)


class _Search:
    """Branch and bound over restricted-growth strings with exactly k blocks, in lex order.

    Finds the smallest string (in lex order) of least internal weight, when it finishes
    within the work budget; `exhausted` says whether it did.
    """

    def __init__(self, weights: Sequence[Sequence[int]], k: int, incumbent: Sequence[int]):
        self.weights = weights
        self.n = len(weights)
        self.k = k
        self.best = tuple(incumbent)
        # Strictly above the incumbent's cost, so that the lex-first optimum is still found
        # when the incumbent is optimal (weights are integers).
        self.best_cost = internal_weight(weights, incumbent) + 1
        self.work = 0
        self.exhausted = True
        self.groups = [0] * self.n
        # add[j][h]: weight label j would add to group h, given the labels placed so far.
        self.add = [[0] * k for _ in range(self.n)]

    def run(self) -> tuple[int, ...]:
        self._place(0, 0, 0)
        return self.best

    def _bound(self, i: int, opened: int) -> int:
        """Least weight the labels from i on must still add (edges among them ignored)."""
        if opened < self.k:
            return 0  # each of them could start a fresh group and add nothing
        return sum(map(min, self.add[i:]))

    def _place(self, i: int, opened: int, cost: int) -> None:
        self.work += max(self.n - i, 1)
        if self.work > SEARCH_WORK_BUDGET:
            self.exhausted = False
            return
        if i == self.n:
            if opened == self.k and cost < self.best_cost:
                self.best_cost, self.best = cost, tuple(self.groups)
            return
        if self.n - i < self.k - opened or cost + self._bound(i, opened) >= self.best_cost:
            return
        for h in range(min(opened + 1, self.k)):
            self._assign(i, h, max(opened, h + 1), cost)
            if not self.exhausted:
                return

    def _assign(self, i: int, h: int, opened: int, cost: int) -> None:
        row, add = self.weights[i], self.add
        self.groups[i] = h
        for j in range(i + 1, self.n):
            add[j][h] += row[j]
        self._place(i + 1, opened, cost + add[i][h])
        for j in range(i + 1, self.n):
            add[j][h] -= row[j]


def max_k_cut(weights: Sequence[Sequence[int]], k: int) -> tuple[int, ...]:
    """Group of each label (a restricted-growth string) in a k-partition of maximum cut.

    Among optimal partitions, the lexicographically smallest string is returned (see the
    module docstring for why); past the work budget, the best partition found, which is
    never worse than the greedy + local-search one the search starts from.
    """
    n = len(weights)
    if not 1 <= k <= n:
        raise ValueError(f"cannot split {n} labels into {k} non-empty objects")
    if k == 1:
        return (0,) * n
    if k == n:
        return tuple(range(n))
    incumbent = _canonical(_local_search(weights, _greedy_groups(weights, k), k))
    return _Search(weights, k, incumbent).run()


def partition(responses: Sequence[Response], k: int) -> list[list[int]]:
    """The objects: lists of labels, ordered as in the published data."""
    if k == 1:
        return [list(selection_counts(responses))]
    answers = partition_answers(responses)
    labels = partition_label_order(answers)
    groups = max_k_cut(coselection_weights(labels, answers), k)
    return [
        [label for label, g in zip(labels, groups, strict=True) if g == k - 1 - j] for j in range(k)
    ]


def describe_object(
    labels: Sequence[int], counts: Mapping[int, int], answers: int
) -> dict[str, list[float]]:
    """`{"<label>": [share within the object, selection frequency]}` for one object."""
    total = sum(counts[label] for label in labels)
    return {str(label): [counts[label] / total, counts[label] / answers] for label in labels}


def object_of(objects: Sequence[Sequence[int]], label: int | None) -> int | None:
    """Index of the object that holds `label`, or None."""
    return next((i for i, labels in enumerate(objects) if label in labels), None)


def main_object(objects: Sequence[Sequence[int]], responses: Sequence[Response]) -> int | None:
    """The object that most answers chose as main (a tie goes to the lower index).

    None only when no answer's main label is in any object.
    """
    votes = Counter(object_of(objects, r.main) for r in responses)
    votes.pop(None, None)
    if not votes:
        return None
    return min(votes, key=lambda index: (-votes[index], index))


def responses_from(answers: Iterable[tuple[Iterable[int], int]]) -> list[Response]:
    """The core's input from (selected labels, main label) pairs, in answer order.

    The one conversion used by the campaign's aggregation stage (answers stored in the
    database) and by the JSONL replay, so that both aggregate identically. A label repeated
    within an answer counts once, at its first place.
    """
    return [Response(tuple(dict.fromkeys(selected)), main) for selected, main in answers]


def aggregate_answers(
    answers: Iterable[tuple[Iterable[int], int]], dataset_label: int | None
) -> dict[str, Any]:
    """`aggregate_image` over (selected labels, main label) pairs: see `responses_from`."""
    return aggregate_image(responses_from(answers), dataset_label)


def aggregate_image(responses: Sequence[Response], dataset_label: int | None) -> dict[str, Any]:
    """Aggregate one image's surviving answers into the published `reference` shape."""
    if not responses:
        raise ValueError("an image needs at least one answer to aggregate")
    k = num_objects(responses)
    main = main_label(responses)
    objects = partition(responses, k)
    counts = selection_counts(responses)
    return {
        "num_objects": k,
        "main_label": main,
        "objects": [describe_object(labels, counts, len(responses)) for labels in objects],
        "main_object": main_object(objects, responses),
        "imagenet_object": object_of(objects, dataset_label),
    }


def object_labels(objects: Sequence[Mapping[str, Sequence[float]]]) -> list[int]:
    """Each object's label: its most selected label (a tie goes to the first listed)."""
    return [int(max(obj, key=lambda label: obj[label][1])) for obj in objects]
