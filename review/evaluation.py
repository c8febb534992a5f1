"""Expert review and evaluation (Shankar et al. 2020; Vasudevan et al. 2022), as pure functions.

- Multi-label accuracy: each image has labels judged correct, wrong or unclear. A prediction
  is right iff its label was marked correct: the headline accuracy counts a prediction of an
  unclear label as not right (Shankar et al.); the variant that also accepts unclear labels
  (ImageNet-M's evaluation) is reported beside it, over the same predictions. A prediction
  nobody has judged ("novel") is not scored: it is counted and returned so the caller can
  queue it for review.
- Intervals are 95% Clopper-Pearson (statsmodels `proportion_confint(method="beta")`).
- Class slices follow the image's dataset label: dogs (descendants of dog.n.01), other
  organisms (descendants of organism.n.01 that are not dogs) and objects (the rest); on
  ImageNet's 1,000 classes that is 118 / 292 / 590. Problematic images leave every slice and
  are scored apart.
- McNemar's paired test compares two predictors on the images both are scored on.
- The panel (5 reviewers by default): the majority verdict of the reviewers' current votes;
  a tie is "unclear"; an item whose votes are not unanimous (verdict, or a mistake's
  severity or category) goes to the discussion queue.
- The major-mistakes slice (ImageNet-M): from the pool of images on which the reviewed model
  makes a major mistake, those on which at least k of the chosen n models do.

No ORM and no I/O here: images and labels are plain ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

CORRECT, WRONG, UNCLEAR = "correct", "wrong", "unclear"
# Panel verdicts (the words the review screens use).
V_CORRECT, V_INCORRECT, V_UNCLEAR = "correct", "incorrect", "unclear"
MAJOR, MINOR = "major", "minor"

ALL, DOGS, ORGANISMS, OBJECTS, PROBLEMATIC = "all", "dogs", "organisms", "objects", "problematic"
CLASS_SLICES = (ALL, DOGS, ORGANISMS, OBJECTS)
DOG_SYNSET, ORGANISM_SYNSET = "dog.n.01", "organism.n.01"


# --- Ground truth -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageTruth:
    """What is known about one image's labels. With `exhaustive`, every label not listed is
    wrong (ReaL's convention); otherwise an unlisted label is unjudged."""

    correct: frozenset[int] = frozenset()
    wrong: frozenset[int] = frozenset()
    unclear: frozenset[int] = frozenset()
    exhaustive: bool = False

    def judge(self, label: int) -> str | None:
        """CORRECT, WRONG, UNCLEAR, or None when nobody has judged the label."""
        if label in self.correct:
            return CORRECT
        if label in self.wrong:
            return WRONG
        if label in self.unclear:
            return UNCLEAR
        return WRONG if self.exhaustive else None


def truth_from_statuses(statuses: Mapping[int, str], exhaustive: bool = False) -> ImageTruth:
    """An ImageTruth from label -> CORRECT / WRONG / UNCLEAR."""
    by = {
        s: frozenset(label for label, v in statuses.items() if v == s)
        for s in (CORRECT, WRONG, UNCLEAR)
    }
    unknown = set(statuses.values()) - set(by)
    if unknown:
        raise ValueError(f"unknown label status {sorted(unknown)}: use correct, wrong or unclear")
    return ImageTruth(by[CORRECT], by[WRONG], by[UNCLEAR], exhaustive)


def merge_truths(layers: Sequence[Mapping[int, ImageTruth]]) -> dict[int, ImageTruth]:
    """Layer several ground-truth sources, later ones winning for a label both judge.

    An image is exhaustive when any layer that covers it is (a later layer may still mark a
    label correct or unclear)."""
    statuses: dict[int, dict[int, str]] = {}
    exhaustive: dict[int, bool] = {}
    for layer in layers:
        for image, truth in layer.items():
            image_statuses = statuses.setdefault(image, {})
            for status, labels in (
                (CORRECT, truth.correct),
                (WRONG, truth.wrong),
                (UNCLEAR, truth.unclear),
            ):
                for label in labels:
                    image_statuses[label] = status
            exhaustive[image] = exhaustive.get(image, False) or truth.exhaustive
    return {image: truth_from_statuses(s, exhaustive[image]) for image, s in statuses.items()}


# --- Class slices -------------------------------------------------------------------------


def class_slice(ancestors: Iterable[str]) -> str:
    """DOGS, ORGANISMS or OBJECTS for a class given the names of its WordNet ancestors
    (LabelClass.hypernym_distances keys, the class itself included)."""
    names = set(ancestors)
    if DOG_SYNSET in names:
        return DOGS
    if ORGANISM_SYNSET in names:
        return ORGANISMS
    return OBJECTS


# --- Intervals and scores -----------------------------------------------------------------


def clopper_pearson(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a proportion; (nan, nan) with no trials."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(successes, trials, alpha=alpha, method="beta")
    return float(low), float(high)


@dataclass
class SliceScore:
    """A predictor on one slice. Scored: predictions of a judged label (correct, wrong or
    unclear). `accuracy` is right / scored (unclear is not right);
    `accuracy_with_unclear` is (right + unclear) / scored."""

    right: int = 0
    wrong: int = 0
    unclear: int = 0  # predictions of labels judged unclear: scored, not right
    unreviewed: int = 0  # predictions nobody judged: not scored, queued
    no_truth: int = 0  # images with no ground truth at all
    top1: int = 0  # scored predictions of the dataset label (Shankar et al.'s Fig 4)

    @property
    def scored(self) -> int:
        return self.right + self.wrong + self.unclear

    @property
    def accuracy(self) -> float:
        return self.right / self.scored if self.scored else float("nan")

    @property
    def accuracy_with_unclear(self) -> float:
        return (self.right + self.unclear) / self.scored if self.scored else float("nan")

    @property
    def top1_accuracy(self) -> float:
        """Top-1 accuracy (the dataset label) over the same scored predictions."""
        return self.top1 / self.scored if self.scored else float("nan")

    def interval(self, alpha: float = 0.05) -> tuple[float, float]:
        return clopper_pearson(self.right, self.scored, alpha)

    def interval_with_unclear(self, alpha: float = 0.05) -> tuple[float, float]:
        return clopper_pearson(self.right + self.unclear, self.scored, alpha)

    def as_dict(self) -> dict[str, float | int]:
        low, high = self.interval()
        low_u, high_u = self.interval_with_unclear()
        return {
            "right": self.right,
            "wrong": self.wrong,
            "scored": self.scored,
            "unclear": self.unclear,
            "unreviewed": self.unreviewed,
            "no_truth": self.no_truth,
            "accuracy": self.accuracy,
            "ci_low": low,
            "ci_high": high,
            "accuracy_with_unclear": self.accuracy_with_unclear,
            "ci_low_with_unclear": low_u,
            "ci_high_with_unclear": high_u,
            "top1_right": self.top1,
            "top1_accuracy": self.top1_accuracy,
        }


@dataclass
class Score:
    """A predictor over a set of images: one SliceScore per slice, the per-image outcomes
    (for McNemar) and the unjudged (image, label) pairs to queue for review."""

    slices: dict[str, SliceScore] = field(default_factory=dict)
    outcomes: dict[int, str | None] = field(default_factory=dict)
    unreviewed: list[tuple[int, int]] = field(default_factory=list)


def score_predictions(
    predictions: Mapping[int, int],
    truth: Mapping[int, ImageTruth],
    image_slice: Mapping[int, str],
    problematic: Iterable[int] = (),
    dataset_labels: Mapping[int, int] | None = None,
) -> Score:
    """Multi-label accuracy of one predictor (image -> its one predicted label).

    `image_slice` gives each image's class slice (DOGS, ORGANISMS or OBJECTS); problematic
    images go to the PROBLEMATIC slice only. ALL is every non-problematic image. With
    `dataset_labels` (image -> label), each slice also counts its scored predictions of the
    dataset label (top-1 accuracy beside multi-label accuracy)."""
    dataset_labels = dataset_labels or {}
    bad = set(problematic)
    result = Score(slices={name: SliceScore() for name in (*CLASS_SLICES, PROBLEMATIC)})
    for image, label in predictions.items():
        names = (PROBLEMATIC,) if image in bad else (ALL, image_slice[image])
        image_truth = truth.get(image)
        outcome = image_truth.judge(label) if image_truth is not None else None
        result.outcomes[image] = outcome
        for name in names:
            s = result.slices[name]
            if image_truth is None:
                s.no_truth += 1
            elif outcome == CORRECT:
                s.right += 1
            elif outcome == WRONG:
                s.wrong += 1
            elif outcome == UNCLEAR:
                s.unclear += 1
            else:
                s.unreviewed += 1
            if outcome is not None and dataset_labels.get(image) == label:
                s.top1 += 1
        if image_truth is not None and outcome is None:
            result.unreviewed.append((image, label))
    return result


# --- McNemar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """Two predictors on the images both are scored on (right or wrong)."""

    both_right: int
    only_a: int  # a right, b wrong
    only_b: int  # a wrong, b right
    both_wrong: int
    statistic: float
    pvalue: float

    @property
    def images(self) -> int:
        return self.both_right + self.only_a + self.only_b + self.both_wrong


def paired_table(
    outcomes_a: Mapping[int, str | None], outcomes_b: Mapping[int, str | None]
) -> list[list[int]]:
    """[[both right, a only], [b only, both wrong]] over images both predictors are scored on
    (an unclear label is scored, not right, as in the headline accuracy)."""
    table = [[0, 0], [0, 0]]
    scored = (CORRECT, WRONG, UNCLEAR)
    for image, a in outcomes_a.items():
        b = outcomes_b.get(image)
        if a in scored and b in scored:
            table[a != CORRECT][b != CORRECT] += 1
    return table


def mcnemar_test(table: Sequence[Sequence[int]], exact: bool = True) -> Paired:
    """McNemar's test on a 2x2 paired table (statsmodels). Exact binomial by default; the
    chi-square version (with continuity correction) with exact=False."""
    result = mcnemar([list(row) for row in table], exact=exact, correction=True)
    (rr, rw), (wr, ww) = table
    return Paired(rr, rw, wr, ww, float(result.statistic), float(result.pvalue))


def compare(score_a: Score, score_b: Score, exact: bool = True) -> Paired:
    return mcnemar_test(paired_table(score_a.outcomes, score_b.outcomes), exact)


# --- The panel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    verdict: str
    severity: str = ""
    category: str = ""


PANEL_SIZE = 5  # Vasudevan et al.'s panel


@dataclass(frozen=True)
class PanelResult:
    """`decided` is False while fewer than the panel's size have voted. `verdict` is the
    majority (a tie is unclear); `discussion` is True when the votes are not unanimous: on
    the verdict, or, for a mistake, on its severity or category."""

    decided: bool
    verdict: str = ""
    severity: str = ""
    category: str = ""
    discussion: bool = False


def _majority(values: Sequence[str], tie: str) -> str:
    counts = Counter(values).most_common()
    if not counts:
        return tie
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return tie
    return counts[0][0]


def panel_result(votes: Sequence[Vote], panel_size: int = PANEL_SIZE) -> PanelResult:
    """Aggregate the reviewers' current votes on one item: the majority verdict (a tie is
    unclear); for a mistake, the majority severity and category among the votes that call it
    a mistake (a tie leaves them blank); discussion unless every vote agrees."""
    if panel_size < 1:
        raise ValueError("the panel needs at least one reviewer")
    if len(votes) < panel_size:
        return PanelResult(decided=False)
    verdict = _majority([v.verdict for v in votes], tie=V_UNCLEAR)
    unanimous = len({(v.verdict, v.severity, v.category) for v in votes}) == 1
    severity = category = ""
    if verdict == V_INCORRECT:
        mistakes = [v for v in votes if v.verdict == V_INCORRECT]
        severity = _majority([v.severity for v in mistakes if v.severity], tie="")
        category = _majority([v.category for v in mistakes if v.category], tie="")
    return PanelResult(True, verdict, severity, category, discussion=not unanimous)


# --- The major-mistakes slice -------------------------------------------------------------


def major_pool(predictions: Mapping[int, int], severity: Mapping[tuple[int, int], str]) -> set:
    """The images on which one model's top-1 (image -> label) is a major mistake."""
    return {image for image, label in predictions.items() if severity.get((image, label)) == MAJOR}


def major_mistake_images(
    predictions: Mapping[str, Mapping[int, int]],
    severity: Mapping[tuple[int, int], str],
    min_models: int = 3,
    has_correct_label: Iterable[int] | None = None,
    pool: Iterable[int] | None = None,
) -> list[int]:
    """Images on which at least `min_models` of the given models' top-1 predictions are
    major mistakes.

    `predictions` is model -> image -> label; `severity` maps a reviewed mistake
    (image, label) to MAJOR or MINOR (correct and unreviewed pairs are absent). With `pool`
    (ImageNet-M: the reviewed model's major mistakes, `major_pool`), only its images are
    candidates. With `has_correct_label`, only images that have some correct label are kept,
    so that 100% accuracy is reachable on the slice."""
    if not 1 <= min_models <= len(predictions):
        raise ValueError(f"min_models must be between 1 and {len(predictions)} (the models given)")
    counts: Counter[int] = Counter()
    for per_image in predictions.values():
        counts.update(major_pool(per_image, severity))
    keep = None if has_correct_label is None else set(has_correct_label)
    within = None if pool is None else set(pool)
    return sorted(
        image
        for image, n in counts.items()
        if n >= min_models
        and (keep is None or image in keep)
        and (within is None or image in within)
    )


def remaining_mistakes(predictions: Mapping[int, int], truth: Mapping[int, ImageTruth]) -> list:
    """Vasudevan's second phase: every (image, label) top-1 of a model, on an image with
    ground truth, that is not judged correct (judged wrong or unclear, or not judged at all),
    in image order. The panel rates each: correct or not, and for a mistake its severity and
    category."""
    return [
        (image, predictions[image])
        for image in sorted(predictions)
        if image in truth and truth[image].judge(predictions[image]) != CORRECT
    ]


UNRATED = "unrated"


def mistake_table(rows: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Vasudevan's Table 2 over the panel's decided mistakes: (category, severity) pairs ->
    {category: {"major": n, "minor": n, "unrated": n}}, categories in order of first
    appearance; a severity the panel left blank (a tie) is "unrated", a blank category ""."""
    table: dict[str, dict[str, int]] = {}
    for category, severity in rows:
        row = table.setdefault(category, {MAJOR: 0, MINOR: 0, UNRATED: 0})
        row[severity if severity in (MAJOR, MINOR) else UNRATED] += 1
    return table
