"""Vasudevan et al. 2022's WordNet hierarchy distance between a mistaken prediction and the
image's label, against the mistake's category.

The distance is the number of steps up the WordNet hierarchy to the lowest common ancestor of
the two classes: a class and its sibling (a shared parent) are at 1, a class and its
grandparent's other grandchild at 2; a class and its own parent are at 1 (the child climbs
one step, the parent none). With several ancestors in common (WordNet allows several
parents), the common ancestor reached in the fewest steps counts. It is not nltk's
shortest_path_distance (up and down, siblings at 2), which stage 3 uses.

An image can have several correct labels: the distance of a mistake is to the closest of them.

Pure: classes come as their `hypernym_distances` (pipeline.rules.wordnet), ancestor name ->
fewest steps up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

from pipeline.rules.wordnet import AncestorDistances

UNKNOWN = "unknown"  # the histogram's bucket for mistakes with no label or no common ancestor


def hierarchy_distance(anc_a: AncestorDistances, anc_b: AncestorDistances) -> int | None:
    """Steps up to the lowest common ancestor: min over common ancestors of the larger of the
    two climbs; 0 for a class and itself, None with no ancestor in common."""
    best: int | None = None
    for name, up_a in anc_a.items():
        up_b = anc_b.get(name)
        if up_b is not None and (best is None or max(up_a, up_b) < best):
            best = max(up_a, up_b)
    return best


def closest_label_distance(
    predicted: AncestorDistances, labels: Sequence[AncestorDistances]
) -> int | None:
    """The hierarchy distance from a prediction to the closest of an image's labels (None
    when there is no label or none shares an ancestor)."""
    found = [d for d in (hierarchy_distance(predicted, lab) for lab in labels) if d is not None]
    return min(found) if found else None


def distance_by_category(rows: Iterable[tuple[str, int | None]]) -> dict[str, dict[str, Any]]:
    """{category: {"mistakes", "measured", "median", "histogram": {"1": n, ..., "unknown": n}}}
    over (category, distance) pairs, categories in order of first appearance; distances
    ascending in the histogram, unmeasured mistakes under "unknown"; the median is over the
    measured ones (None without any)."""
    distances: dict[str, list[int]] = {}
    unknown: Counter[str] = Counter()
    for category, distance in rows:
        measured = distances.setdefault(category, [])
        if distance is None:
            unknown[category] += 1
        else:
            measured.append(int(distance))
    out = {}
    for category, measured in distances.items():
        histogram = {str(d): n for d, n in sorted(Counter(measured).items())}
        if unknown[category]:
            histogram[UNKNOWN] = unknown[category]
        out[category] = {
            "mistakes": len(measured) + unknown[category],
            "measured": len(measured),
            "median": float(median(measured)) if measured else None,
            "histogram": histogram,
        }
    return out


def mistake_distances(
    mistakes: Iterable[tuple[str, int, str]],
    labels: Mapping[str, Sequence[int]],
    ancestors: Mapping[int, AncestorDistances],
) -> dict[str, dict[str, Any]]:
    """`distance_by_category` of mistakes given as (image, predicted class, category), each
    image's correct classes in `labels` and each class's ancestors in `ancestors` (an image
    without labels, or a class without ancestors, is unknown)."""

    def distance(image: str, predicted: int) -> int | None:
        if predicted not in ancestors:
            return None
        known = [ancestors[lab] for lab in labels.get(image, ()) if lab in ancestors]
        return closest_label_distance(ancestors[predicted], known)

    return distance_by_category((cat, distance(img, pred)) for img, pred, cat in mistakes)
