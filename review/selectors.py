"""Reads for evaluation and review: ground truth and predictions as plain data for
review.evaluation, the reviewers' queues, and the figures the dashboard and API show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from catalogue.models import Image, LabelClass
from pipeline.models import ModelPrediction
from review import evaluation as ev
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)

HUMAN_PREFIX = "human:"


# --- Ground truth and predictions ---------------------------------------------------------


def truth_for(
    truth_sets: Sequence[GroundTruthSet], image_ids: Iterable[int] | None = None
) -> dict[int, ev.ImageTruth]:
    """The merged ground truth of the given sets (later sets win), image pk -> ImageTruth."""
    ids = None if image_ids is None else list(image_ids)
    layers = []
    for truth_set in truth_sets:
        rows = TruthLabel.objects.filter(truth_set=truth_set)
        if ids is not None:
            rows = rows.filter(image_id__in=ids)
        statuses: dict[int, dict[int, str]] = defaultdict(dict)
        for image, label, status in rows.values_list("image_id", "label_id", "status").iterator():
            statuses[image][label] = status
        layers.append(
            {i: ev.truth_from_statuses(s, truth_set.exhaustive) for i, s in statuses.items()}
        )
    return ev.merge_truths(layers)


def class_slice_of_labels() -> dict[int, str]:
    """LabelClass pk -> DOGS / ORGANISMS / OBJECTS."""
    return {
        pk: ev.class_slice(ancestors)
        for pk, ancestors in LabelClass.objects.values_list("pk", "hypernym_distances")
    }


def class_slice_counts() -> dict[str, int]:
    """How many classes of the catalogue fall in each class slice (118 / 292 / 590 on
    ImageNet)."""
    counts = dict.fromkeys((ev.DOGS, ev.ORGANISMS, ev.OBJECTS), 0)
    for name in class_slice_of_labels().values():
        counts[name] += 1
    return counts


def images_for(dataset=None, evaluation_slice: EvaluationSlice | None = None) -> QuerySet[Image]:
    images = Image.objects.all()
    if dataset is not None:
        images = images.filter(dataset=dataset)
    if evaluation_slice is not None:
        images = images.filter(evaluation_slices=evaluation_slice)
    return images


def image_slices(images: QuerySet[Image]) -> dict[int, str]:
    by_label = class_slice_of_labels()
    return {pk: by_label[label] for pk, label in images.values_list("pk", "label_id")}


def problematic_images(image_ids: Iterable[int] | None = None) -> set[int]:
    """Images any reviewer flagged problematic."""
    flags = ProblemFlag.objects.all()
    if image_ids is not None:
        flags = flags.filter(image_id__in=list(image_ids))
    return set(flags.values_list("image_id", flat=True))


@dataclass
class Predictions:
    """One predictor's top-1 per image (LabelClass pks), with the probability given to it."""

    name: str
    labels: dict[int, int] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)
    random_weights: bool = False  # some image's kept prediction is of random weights


def model_names() -> list[str]:
    return sorted(set(ModelPrediction.objects.values_list("model_name", flat=True)))


def predictions_for(name: str, images: QuerySet[Image]) -> Predictions:
    """Top-1 (labels[0]) of a model from ModelPrediction, real weights preferred over random
    ones for the same image; or a human-accuracy session's measured picks (never its training
    round's) for 'human:<session>'."""
    if name.startswith(HUMAN_PREFIX):
        picks = HumanPick.objects.filter(
            session__name=name.removeprefix(HUMAN_PREFIX), image__in=images, training=False
        )
        return Predictions(name, dict(picks.values_list("image_id", "label_id")))
    pk_of = dict(LabelClass.objects.values_list("index", "pk"))
    result = Predictions(name)
    rows = ModelPrediction.objects.filter(model_name=name, image__in=images).order_by(
        "-random_weights"  # real weights last, so they win
    )
    random_images: set[int] = set()  # images whose kept prediction is of random weights
    for image, labels, probabilities, random_weights in rows.values_list(
        "image_id", "labels", "probabilities", "random_weights"
    ).iterator():
        if labels:
            result.labels[image] = pk_of[labels[0]]
            result.scores[image] = probabilities[0] if probabilities else None
            if random_weights:
                random_images.add(image)
            else:
                random_images.discard(image)
    result.random_weights = bool(random_images)
    return result


def predictor_names() -> list[str]:
    """Every model with predictions, and every human-accuracy session."""
    humans = HumanSession.objects.values_list("name", flat=True)
    return model_names() + [f"{HUMAN_PREFIX}{n}" for n in humans]


# --- Queues --------------------------------------------------------------------------------


def _current_votes(reviewer) -> QuerySet[ReviewVote]:
    return ReviewVote.objects.filter(item=OuterRef("pk"), reviewer=reviewer, superseded=False)


def review_queue(reviewer) -> QuerySet[ReviewItem]:
    """Open items this reviewer has not voted on yet, oldest first."""
    return (
        ReviewItem.objects.filter(state=ReviewItem.State.OPEN)
        .exclude(Exists(_current_votes(reviewer)))
        .order_by("id")
    )


def discussion_queue() -> QuerySet[ReviewItem]:
    """Items whose panel disagrees, with how many current votes each has."""
    return (
        ReviewItem.objects.filter(state=ReviewItem.State.DISCUSSION)
        .select_related("image", "label")
        .annotate(vote_count=Count("votes", filter=Q(votes__superseded=False)))
        .order_by("id")
    )


def queue_sizes(reviewer=None) -> dict[str, int]:
    """Items per state, and with a reviewer, how many are waiting for that reviewer."""
    counts = dict.fromkeys(ReviewItem.State.values, 0)
    for state, n in ReviewItem.objects.values_list("state").annotate(n=Count("pk")):
        counts[state] = n
    counts["flagged_images"] = ProblemFlag.objects.values("image").distinct().count()
    if reviewer is not None:
        counts["mine"] = review_queue(reviewer).count()
    return counts


def current_votes(item: ReviewItem) -> list[ev.Vote]:
    return [
        ev.Vote(v.verdict, v.severity, v.category)
        for v in item.votes.filter(superseded=False).order_by("id")
    ]


# --- Scores ------------------------------------------------------------------------------


@dataclass
class ScoreReport:
    predictors: list[str]
    scores: dict[str, ev.Score]
    pairs: dict[tuple[str, str], ev.Paired]
    images: int
    random_weights: list[str] = field(default_factory=list)
    image_labels: dict[int, int] = field(default_factory=dict)  # image -> dataset label pk

    def rows(self) -> list[dict]:
        """One plain row per predictor and slice (the dashboard's and API's table), marked
        when the predictor's predictions were made with random weights."""
        return [
            {
                "predictor": name,
                "slice": slice_name,
                "random_weights": name in self.random_weights,
                **s.as_dict(),
            }
            for name in self.predictors
            for slice_name, s in self.scores[name].slices.items()
        ]


def compute_scores(
    predictors: Sequence[str],
    truth_sets: Sequence[GroundTruthSet],
    dataset=None,
    evaluation_slice: EvaluationSlice | None = None,
) -> ScoreReport:
    """Score predictors on the same images (a dataset, a named slice, or both), with
    McNemar's test between every pair. Reads only: queueing is the caller's choice."""
    images = images_for(dataset, evaluation_slice)
    slices = image_slices(images)
    labels = dict(images.values_list("pk", "label_id"))
    truth = truth_for(truth_sets, slices)
    problematic = problematic_images(slices)
    scores, randoms = {}, []
    for name in predictors:
        predictions = predictions_for(name, images)
        if predictions.random_weights:
            randoms.append(name)
        scores[name] = ev.score_predictions(
            predictions.labels, truth, slices, problematic, dataset_labels=labels
        )
    pairs = {
        (a, b): ev.compare(scores[a], scores[b])
        for i, a in enumerate(predictors)
        for b in predictors[i + 1 :]
    }
    return ScoreReport(list(predictors), scores, pairs, len(slices), randoms, labels)


def model_scores(
    truth_sets: Sequence[str] = ("expert",),
    predictors: Sequence[str] | None = None,
    dataset=None,
    evaluation_slice: str | None = None,
) -> list[dict]:
    """Accuracy with 95% Clopper-Pearson intervals per predictor per slice, as plain rows
    (for the dashboard and the REST API). Unknown set names raise GroundTruthError."""
    from review.truth import resolve_sets

    chosen = resolve_sets(truth_sets)
    slice_obj = EvaluationSlice.objects.get(name=evaluation_slice) if evaluation_slice else None
    names = list(predictors) if predictors is not None else predictor_names()
    return compute_scores(names, chosen, dataset, slice_obj).rows()


# --- The review screen ---------------------------------------------------------------------


def image_judgments(image: Image) -> dict[str, list[dict]]:
    """Every judged label of an image across ground-truth sets, grouped by status, each with
    the sets that say so."""
    grouped: dict[str, dict[int, dict]] = {s: {} for s in TruthLabel.Status.values}
    rows = TruthLabel.objects.filter(image=image).select_related("label", "truth_set")
    for row in rows.order_by("label__index"):
        entry = grouped[row.status].setdefault(row.label_id, {"label": row.label, "sources": []})
        entry["sources"].append(row.truth_set.name)
    return {status: list(entries.values()) for status, entries in grouped.items()}


def example_images(label: LabelClass, exclude: Image, limit: int = 6) -> list[Image]:
    """Images whose ground truth holds the class as correct; then images with it as their
    dataset label, to fill up."""
    ids = list(
        TruthLabel.objects.filter(label=label, status=TruthLabel.Status.CORRECT)
        .exclude(image=exclude)
        .values_list("image_id", flat=True)
        .distinct()[:limit]
    )
    if len(ids) < limit:
        more = Image.objects.filter(label=label).exclude(pk__in=[exclude.pk, *ids])
        ids += list(more.values_list("pk", flat=True)[: limit - len(ids)])
    return list(Image.objects.filter(pk__in=ids))
