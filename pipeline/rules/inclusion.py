"""Stage 4: which images go on to CLASSIFY, from their CONTAINS votes (PIPELINE.md).

CLASSIFY costs 9 answers per image, so images whose CONTAINS votes already settle the
question are skipped. Each image gets one category; the checks run in this order and the
first that holds wins:

1. "ambiguous": the dataset label has fewer than `easy_min_answers` (6) surviving answers
   (including none at all). With so few answers neither "easy" (which only trusts labels seen
   by 6 or more workers) nor "mislabeled" can be decided, so this is checked first: an image
   whose dataset label 2 workers saw and neither selected is ambiguous, not mislabeled.
2. "mislabeled": the dataset label has enough answers and no worker selected it (selection
   frequency 0). Listed for the researcher.
3. "easy": among the labels with `easy_min_answers` or more surviving answers, the dataset
   label's selection frequency is more than `easy_ratio` (2) times that of every other such
   label, strictly (0.6 against 0.3 is not easy). Labels with fewer answers are ignored, as
   in the paper, so an image whose only other labels have few answers is easy (given step 2,
   the dataset label's frequency is then above 0).
4. "follow_up": everything else; only these go on to CLASSIFY.

Comparisons are exact, in integers: s_d / n_d > r * s_o / n_o is decided as
s_d * n_o * q > p * s_o * n_d with r = p / q (easy_ratio read as the nearest fraction with a
denominator up to 10,000).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.params import PAPER, CampaignParams, exact_fraction

EASY = "easy"
MISLABELED = "mislabeled"
AMBIGUOUS = "ambiguous"
FOLLOW_UP = "follow_up"
CATEGORIES = (EASY, MISLABELED, AMBIGUOUS, FOLLOW_UP)


@dataclass(frozen=True)
class Votes:
    selected: int  # surviving answers that selected the image for this label
    answers: int  # surviving answers for the pair (after quality control)

    @property
    def frequency(self) -> float | None:
        return self.selected / self.answers if self.answers else None


@dataclass(frozen=True)
class ImageVotes:
    image_id: int
    dataset_label: int
    votes: Mapping[int, Votes]  # potential label -> votes; a missing label has no answers


@dataclass(frozen=True)
class Inclusion:
    image_id: int
    category: str  # EASY, MISLABELED, AMBIGUOUS or FOLLOW_UP
    dataset_frequency: float | None
    dataset_answers: int
    rival: int | None  # the other label with enough answers and the highest frequency
    rival_frequency: float | None

    @property
    def goes_to_classify(self) -> bool:
        return self.category == FOLLOW_UP


@dataclass(frozen=True)
class InclusionReport:
    images: list[Inclusion]  # in input order
    counts: dict[str, int]  # every category, zero included


def include(image: ImageVotes, params: CampaignParams = PAPER) -> Inclusion:
    """The category of one image (module docstring for the rules and their order)."""
    _validate(image)
    dataset = image.votes.get(image.dataset_label, Votes(0, 0))
    rival = _rival(image, params.easy_min_answers)
    rival_votes = image.votes[rival] if rival is not None else None
    category = _category(dataset, rival_votes, params)
    return Inclusion(
        image.image_id,
        category,
        dataset.frequency,
        dataset.answers,
        rival,
        rival_votes.frequency if rival_votes else None,
    )


def include_all(images: Iterable[ImageVotes], params: CampaignParams = PAPER) -> InclusionReport:
    results = [include(image, params) for image in images]
    counts = dict.fromkeys(CATEGORIES, 0)
    for result in results:
        counts[result.category] += 1
    return InclusionReport(results, counts)


def _validate(image: ImageVotes) -> None:
    for label, votes in image.votes.items():
        if not 0 <= votes.selected <= votes.answers:
            raise ValueError(
                f"image {image.image_id}, label {label}: {votes.selected} selected "
                f"of {votes.answers} answers"
            )


def _rival(image: ImageVotes, min_answers: int) -> int | None:
    """The strongest other label seen by enough workers (highest frequency, then label id)."""
    best: int | None = None
    best_votes = Votes(0, 1)
    for label, votes in image.votes.items():
        if label == image.dataset_label or votes.answers < min_answers:
            continue
        # votes beat best_votes on frequency (cross-multiplied), or tie it with a smaller id
        lead = votes.selected * best_votes.answers - best_votes.selected * votes.answers
        if best is None or lead > 0 or (lead == 0 and label < best):
            best, best_votes = label, votes
    return best


def _category(dataset: Votes, rival: Votes | None, params: CampaignParams) -> str:
    if dataset.answers < params.easy_min_answers:
        return AMBIGUOUS
    if dataset.selected == 0:
        return MISLABELED
    if rival is None or _more_than(dataset, rival, params.easy_ratio):
        return EASY
    return FOLLOW_UP


def _more_than(dataset: Votes, rival: Votes, ratio: float) -> bool:
    """dataset frequency > ratio * rival frequency, in integers."""
    r = exact_fraction(ratio)
    left = dataset.selected * rival.answers * r.denominator
    return left > r.numerator * rival.selected * dataset.answers
