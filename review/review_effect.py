"""Multi-label accuracy before and after the expert review (Vasudevan et al. 2022): each
predictor scored with the labels as they were (every ground-truth set but the panel's) and
with the panel's decisions layered on top, and how many of its predictions the review moved.

`accuracy_change` is pure; `before_after` reads through review.selectors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from review import evaluation as ev
from review import selectors
from review.models import EvaluationSlice, GroundTruthSet
from review.truth import EXPERT_SET


def _value(x: float) -> float | None:
    return None if math.isnan(x) else x


def accuracy_change(before: ev.Score, after: ev.Score) -> dict[str, Any]:
    """Accuracy on all classes before and after, and the predictions the review turned right
    (from wrong, unclear or unjudged), turned not right, or judged for the first time."""
    right = ev.CORRECT
    images = set(before.outcomes) | set(after.outcomes)
    pairs = [(before.outcomes.get(i), after.outcomes.get(i)) for i in images]
    b, a = before.slices[ev.ALL], after.slices[ev.ALL]
    return {
        "before": _value(b.accuracy),
        "before_scored": b.scored,
        "after": _value(a.accuracy),
        "after_scored": a.scored,
        "after_with_unclear": _value(a.accuracy_with_unclear),
        "turned_right": sum(x != right and y == right for x, y in pairs),
        "turned_not_right": sum(x == right and y != right for x, y in pairs),
        "newly_judged": sum(x is None and y is not None for x, y in pairs),
    }


def before_after(
    predictors: Sequence[str],
    truth_sets: Sequence[GroundTruthSet],
    dataset=None,
    evaluation_slice: EvaluationSlice | None = None,
) -> list[dict[str, Any]]:
    """One row per predictor (empty when the panel's set is not among `truth_sets`: there is
    no review to compare with)."""
    if not any(s.name == EXPERT_SET for s in truth_sets):
        return []
    without = [s for s in truth_sets if s.name != EXPERT_SET]
    after = selectors.compute_scores(predictors, truth_sets, dataset, evaluation_slice)
    before = selectors.compute_scores(predictors, without, dataset, evaluation_slice)
    return [
        {"predictor": name, **accuracy_change(before.scores[name], after.scores[name])}
        for name in predictors
    ]
