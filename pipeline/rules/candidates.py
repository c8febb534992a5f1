"""Stage 3: each image's candidate labels, from CONTAINS selection frequencies (PIPELINE.md).

The CLASSIFY task shows a worker one image and a short list of labels; this module chooses
that list. Selection frequencies say which potential labels people see in the image; WordNet
distance tells a different object (far from the dataset label) from a near synonym (close
to it, and competing with it for the same object). The five rules, in order:

1. The dataset label, whatever its selection frequency.
2. Every potential label with selection frequency >= `candidate_sf_threshold` (0.5).
3. Every potential label with non-zero selection frequency that is more than
   `candidate_wordnet_distance` (5) edges from the dataset label in WordNet (strictly more;
   distance None, no common ancestor, counts as far).
4. While fewer than `candidate_min` (5) candidates: the remaining potential labels with
   non-zero selection frequency, highest first (ties by label id), until there are 5.
5. Truncation to `candidate_max` (6). Rank the candidates by selection frequency, highest
   first, ties by smaller label id (a frequency of None counts as 0). Truncate when there are
   more than 6 candidates and either
   (a) every candidate ranked 7th or later has a selection frequency strictly lower than the
       dataset label's (so (a) never holds when the dataset label itself is ranked 7th or
       later), or
   (b) the dataset label's own selection frequency is <= `candidate_dataset_sf_floor` (1/8),
       or is None (no surviving answer).
   Truncation keeps the first 6 of the ranking; when the dataset label is not among them
   (only possible under (b)), it keeps the first 5 and the dataset label.

Every candidate keeps the first rule (1-4) that admitted it; a truncated set records the
labels it lost and which of (a), (b) held.

Selection frequencies are compared with the thresholds as given: compute them as
selected / answers (a correctly rounded division), and the paper's thresholds (0.5, 1/8) are
exact binary fractions, so the boundaries are exact. None means the pair has no surviving
answer: it is never admitted by rules 2-4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from pipeline.params import PAPER, CampaignParams

Distance = Callable[[int, int], int | None]

DATASET_LABEL, FREQUENT, DISTANT, FILLED = 1, 2, 3, 4  # the rule that admitted a candidate
BEYOND_SIXTH_LOWER = "beyond_sixth_lower"  # rule 5 (a)
DATASET_SF_FLOOR = "dataset_sf_floor"  # rule 5 (b)


@dataclass(frozen=True)
class ImageFrequencies:
    image_id: int
    dataset_label: int
    frequencies: Mapping[int, float | None]  # potential label -> selection frequency or None


@dataclass(frozen=True)
class Candidate:
    label: int
    rule: int  # 1-4: DATASET_LABEL, FREQUENT, DISTANT, FILLED
    frequency: float | None


@dataclass(frozen=True)
class CandidateSet:
    image_id: int
    dataset_label: int
    candidates: tuple[Candidate, ...]  # ranked: frequency desc (None as 0), then label id
    truncated: tuple[int, ...] = ()  # labels rule 5 removed, in ranking order
    truncation: tuple[str, ...] = ()  # which of BEYOND_SIXTH_LOWER, DATASET_SF_FLOOR held

    @property
    def labels(self) -> list[int]:
        return [candidate.label for candidate in self.candidates]


def candidate_set(
    image: ImageFrequencies, distance: Distance, params: CampaignParams = PAPER
) -> CandidateSet:
    """Apply the five rules (module docstring) to one image.

    distance(label_a, label_b) -> WordNet edges between two labels, or None when they share
    no ancestor; it is only asked about (dataset label, label) for labels with a non-zero
    frequency that rule 2 did not admit."""
    admitted = _admit(image, distance, params)
    ranked = sorted(admitted.values(), key=_rank)
    kept, reasons = _truncate(ranked, image.dataset_label, params)
    kept_labels = {c.label for c in kept}
    dropped = tuple(c.label for c in ranked if c.label not in kept_labels)
    return CandidateSet(image.image_id, image.dataset_label, tuple(kept), dropped, reasons)


def candidate_sets(
    images: Iterable[ImageFrequencies], distance: Distance, params: CampaignParams = PAPER
) -> Iterator[CandidateSet]:
    """candidate_set for many images, asking `distance` once per (a, b) pair."""
    cached = cached_distance(distance)
    for image in images:
        yield candidate_set(image, cached, params)


def cached_distance(distance: Distance) -> Distance:
    """`distance` remembered per ordered (a, b) pair."""
    cache: dict[tuple[int, int], int | None] = {}

    def lookup(label_a: int, label_b: int) -> int | None:
        key = (label_a, label_b)
        if key not in cache:
            cache[key] = distance(label_a, label_b)
        return cache[key]

    return lookup


def _rank(candidate: Candidate) -> tuple[float, int]:
    return (-(candidate.frequency or 0.0), candidate.label)


def _admit(
    image: ImageFrequencies, distance: Distance, params: CampaignParams
) -> dict[int, Candidate]:
    """Rules 1-4: label -> candidate, each with the first rule that admitted it."""
    dataset = image.dataset_label
    freqs = image.frequencies
    admitted = {dataset: Candidate(dataset, DATASET_LABEL, freqs.get(dataset))}
    seen = sorted(
        ((label, sf) for label, sf in freqs.items() if label != dataset and sf),
        key=lambda pair: (-pair[1], pair[0]),
    )  # non-zero frequencies, highest first
    for label, sf in seen:
        if sf >= params.candidate_sf_threshold:
            admitted[label] = Candidate(label, FREQUENT, sf)
        elif _far(distance(dataset, label), params.candidate_wordnet_distance):
            admitted[label] = Candidate(label, DISTANT, sf)
    for label, sf in seen:
        if len(admitted) >= params.candidate_min:
            break
        if label not in admitted:
            admitted[label] = Candidate(label, FILLED, sf)
    return admitted


def _far(edges: int | None, threshold: int) -> bool:
    return edges is None or edges > threshold


def _truncate(
    ranked: list[Candidate], dataset: int, params: CampaignParams
) -> tuple[list[Candidate], tuple[str, ...]]:
    """Rule 5 over the ranked candidates: the kept ones and the conditions that held."""
    limit = params.candidate_max
    if len(ranked) <= limit:
        return ranked, ()
    dataset_sf = next(c.frequency for c in ranked if c.label == dataset) or 0.0
    reasons = []
    if all((c.frequency or 0.0) < dataset_sf for c in ranked[limit:]):
        reasons.append(BEYOND_SIXTH_LOWER)
    if dataset_sf <= params.candidate_dataset_sf_floor:
        reasons.append(DATASET_SF_FLOOR)
    if not reasons:
        return ranked, ()
    kept = ranked[:limit]
    if all(c.label != dataset for c in kept):
        kept = ranked[: limit - 1] + [c for c in ranked if c.label == dataset]
    return kept, tuple(reasons)
