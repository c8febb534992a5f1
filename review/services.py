"""Writes of expert review and evaluation: queueing unjudged predictions, votes and the
panel's decision, problem flags, labeling-guide notes, the major-mistakes slice, and the picks
of human-accuracy mode. Each is one transaction; bad input raises ReviewError and stores
nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalogue.models import Image, LabelClass
from core.errors import FinelabelError
from pipeline.rules.mistakes import Mistake
from pipeline.rules.mistakes import category as category_of
from review import evaluation as ev
from review import selectors
from review.models import (
    ClassGuide,
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    MistakeCategory,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    Severity,
    TruthLabel,
    Verdict,
)
from review.truth import expert_set, image_keys, record_expert

STATUS_OF_VERDICT = {
    Verdict.CORRECT: TruthLabel.Status.CORRECT,
    Verdict.INCORRECT: TruthLabel.Status.WRONG,
    Verdict.UNCLEAR: TruthLabel.Status.UNCLEAR,
}


class ReviewError(FinelabelError, ValueError):
    """Bad input to a review write; nothing was stored."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message, self.code = message, code


def panel_size() -> int:
    """Votes needed before the panel decides (setting FINELABEL_REVIEW_PANEL_SIZE; default
    5, Vasudevan et al.'s panel)."""
    return int(getattr(settings, "FINELABEL_REVIEW_PANEL_SIZE", ev.PANEL_SIZE))


# --- Queueing -----------------------------------------------------------------------------


def queue_predictions(
    pairs: Iterable[tuple[int, int]], by_model: Mapping[str, selectors.Predictions]
) -> int:
    """Create a review item for every (image, label) not queued yet; returns how many were
    created. Each item records the models that predicted it and the highest score."""
    pairs = set(pairs)
    if not pairs:
        return 0
    who: dict[tuple[int, int], list[str]] = {pair: [] for pair in pairs}
    best: dict[tuple[int, int], float | None] = dict.fromkeys(pairs)
    for name, predictions in by_model.items():
        for image, label in predictions.labels.items():
            if (image, label) in who:
                who[(image, label)].append(name)
                score = predictions.scores.get(image)
                if score is not None and (best[(image, label)] or 0) < score:
                    best[(image, label)] = score
    images = {image for image, _ in pairs}
    existing = set(
        ReviewItem.objects.filter(image_id__in=images).values_list("image_id", "label_id")
    )
    new = [
        ReviewItem(
            image_id=image,
            label_id=label,
            score=best[(image, label)],
            models_predicting=who[(image, label)],
        )
        for image, label in sorted(pairs - existing)
    ]
    with transaction.atomic():
        ReviewItem.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
    return len(new)


def queue_mistakes(
    model: str, truth_sets: Sequence[GroundTruthSet], dataset=None
) -> tuple[int, int]:
    """Vasudevan's second phase: queue every remaining mistake of `model` (each top-1 not
    judged correct by the merged `truth_sets`, including those already judged wrong) for the
    panel to rate. Returns (remaining mistakes, newly queued); pairs with an item already keep
    it."""
    images = selectors.images_for(dataset)
    predictions = selectors.predictions_for(model, images)
    truth = selectors.truth_for(truth_sets, predictions.labels)
    pairs = ev.remaining_mistakes(predictions.labels, truth)
    return len(pairs), queue_predictions(pairs, {model: predictions})


# --- Votes and the panel --------------------------------------------------------------------


def _choice(value: str, choices, what: str, allow_blank: bool = False) -> str:
    value = (value or "").strip()
    if allow_blank and not value:
        return ""
    if value not in choices.values:
        raise ReviewError(f"{what} must be one of {', '.join(choices.values)}; got {value!r}.")
    return value


def cast_vote(
    item: ReviewItem,
    reviewer,
    verdict: str,
    severity: str = "",
    category: str = "",
    comment: str = "",
    duration_ms: int | None = None,
) -> ReviewVote:
    """Store a reviewer's vote (a change is a new row; the old one is kept, superseded), then
    let the panel decide and write its decision to the expert ground truth."""
    verdict = _choice(verdict, Verdict, "The verdict")
    if verdict == Verdict.INCORRECT:
        severity = _choice(severity, Severity, "A mistake's severity")
        category = _choice(category, MistakeCategory, "A mistake's category")
    else:
        severity = category = ""
    if duration_ms is not None and (not isinstance(duration_ms, int) or duration_ms < 0):
        raise ReviewError("The duration must be a whole number of milliseconds.")
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        ReviewVote.objects.filter(item=item, reviewer=reviewer, superseded=False).update(
            superseded=True
        )
        vote = ReviewVote.objects.create(
            item=item,
            reviewer=reviewer,
            verdict=verdict,
            severity=severity,
            category=category,
            comment=comment.strip(),
            duration_ms=duration_ms,
        )
        apply_panel(item)
    return vote


def apply_panel(item: ReviewItem) -> ev.PanelResult:
    """Recompute an item's state and decision from its current votes (inside a transaction)."""
    result = ev.panel_result(selectors.current_votes(item), panel_size())
    if not result.decided:
        item.state, item.decision, item.severity, item.category = ReviewItem.State.OPEN, "", "", ""
        item.decided_at = None
        record_expert(item.image_id, item.label_id, None)
    else:
        item.state = ReviewItem.State.DISCUSSION if result.discussion else ReviewItem.State.DECIDED
        item.decision, item.severity, item.category = (
            result.verdict,
            result.severity,
            result.category,
        )
        item.decided_at = timezone.now()
        record_expert(item.image_id, item.label_id, STATUS_OF_VERDICT[result.verdict])
    item.save(update_fields=["state", "decision", "severity", "category", "decided_at"])
    return result


def set_flags(image: Image, reviewer, kinds: Iterable[str]) -> list[str]:
    """Make this reviewer's problem flags on an image exactly `kinds`."""
    wanted = {_choice(k, ProblemFlag.Kind, "A problem flag") for k in kinds}
    with transaction.atomic():
        ProblemFlag.objects.filter(image=image, reviewer=reviewer).exclude(kind__in=wanted).delete()
        for kind in wanted:
            ProblemFlag.objects.get_or_create(image=image, reviewer=reviewer, kind=kind)
    return sorted(wanted)


def save_guide(label: LabelClass, notes: str, editor) -> ClassGuide:
    if len(notes) > 20_000:
        raise ReviewError("The notes are too long (20,000 characters at most).")
    guide, _ = ClassGuide.objects.update_or_create(
        label=label, defaults={"notes": notes.strip(), "updated_by": editor}
    )
    return guide


# --- The major-mistakes slice ---------------------------------------------------------------


@dataclass
class SliceReport:
    evaluation_slice: EvaluationSlice
    images: int
    candidates: int  # images with enough major mistakes, before requiring a correct label
    pool: int = 0  # images on which the reviewed model makes a major mistake


def _decided_severity(images) -> dict[tuple[int, int], str]:
    """(image, label) -> the panel's severity of each decided mistake."""
    rows = ReviewItem.objects.filter(decision=Verdict.INCORRECT, image__in=images)
    return {(i, lab): sev for i, lab, sev in rows.values_list("image_id", "label_id", "severity")}


def _check_slice_models(models: Sequence[str], min_major: int) -> None:
    if len(set(models)) != len(models) or not models:
        raise ReviewError("Name each model once.")
    if not 1 <= min_major <= len(models):
        raise ReviewError(f"--min-major must be between 1 and {len(models)}.")


def build_major_slice(
    name: str,
    models: Sequence[str],
    min_major: int = 3,
    truth_sets: Sequence[GroundTruthSet] = (),
    dataset=None,
    description: str = "",
    reviewed_model: str | None = None,
) -> SliceReport:
    """ImageNet-M: from the pool of images on which `reviewed_model` (default: the first of
    `models`) makes a major mistake, those on which at least `min_major` of `models` do (the
    panel's decided severity), kept as a named slice; only images with some correct label (in
    the expert set and `truth_sets`) are kept, so 100% is reachable. Rebuilding replaces it."""
    _check_slice_models(models, min_major)
    reviewed = reviewed_model or models[0]
    images = selectors.images_for(dataset)
    predictions = {m: selectors.predictions_for(m, images).labels for m in {*models, reviewed}}
    missing = [m for m in (*models, reviewed) if not predictions[m]]
    if missing:
        raise ReviewError(f"No predictions for {', '.join(dict.fromkeys(missing))}.")
    severity = _decided_severity(images)
    pool = ev.major_pool(predictions[reviewed], severity)
    chosen_models = {m: predictions[m] for m in models}
    candidates = ev.major_mistake_images(chosen_models, severity, min_major, pool=pool)
    truth = selectors.truth_for([*truth_sets, expert_set()], candidates)
    chosen = [i for i in candidates if truth.get(i) and truth[i].correct]
    params = {
        "models": list(models),
        "reviewed_model": reviewed,
        "min_major": min_major,
        "truth_sets": [s.name for s in truth_sets],
    }
    with transaction.atomic():
        evaluation_slice, _ = EvaluationSlice.objects.update_or_create(
            name=name,
            defaults={
                "description": description
                or f"major mistakes of {reviewed} on which at least {min_major} of "
                f"{len(models)} models make a major mistake",
                "params": params,
            },
        )
        evaluation_slice.images.set(chosen)
    return SliceReport(evaluation_slice, len(chosen), len(candidates), len(pool))


# --- Reviewed mistakes from elsewhere (Vasudevan et al.) -----------------------------------


@dataclass
class MistakesImport:
    items: int  # review items decided from the file
    created: int  # of which new
    unmatched: list[str]  # image names that match no image of the dataset


def _mistake_item(image: int, label: int, mistake: Mistake, model: str) -> tuple[bool, int]:
    item, created = ReviewItem.objects.get_or_create(image_id=image, label_id=label)
    item.models_predicting = sorted({*item.models_predicting, model})
    item.state, item.decision = ReviewItem.State.DECIDED, Verdict.INCORRECT
    item.severity, item.category = mistake.severity, category_of(mistake.category)
    item.decided_at = timezone.now()
    item.save()
    record_expert(image, label, TruthLabel.Status.WRONG)
    return created, item.pk


def import_mistakes(dataset, mistakes: Sequence[Mistake], model: str) -> MistakesImport:
    """Store a model's reviewed mistakes (Vasudevan et al.'s file) as decided review items:
    verdict incorrect, the published severity (Borderline as minor), the category mapped to
    the panel's (pipeline.rules.mistakes.CATEGORIES), each label marked wrong in the expert
    set. Images are matched by file name; re-importing updates the same items. A later vote
    on such an item reopens it to the panel."""
    keys = image_keys(dataset)
    pk_of = dict(LabelClass.objects.values_list("index", "pk"))
    unknown = sorted({m.predicted for m in mistakes} - set(pk_of))
    if unknown:
        raise ReviewError(f"Predicted classes that name no class: {unknown[:5]}.")
    matched = [(m, keys.get(m.image) or keys.get(m.image.rsplit(".", 1)[0])) for m in mistakes]
    created = 0
    with transaction.atomic():
        for mistake, image in matched:
            if image is not None:
                created += _mistake_item(image, pk_of[mistake.predicted], mistake, model)[0]
    unmatched = [m.image for m, image in matched if image is None]
    return MistakesImport(len(mistakes) - len(unmatched), created, unmatched)


# --- Human accuracy mode --------------------------------------------------------------------


def start_session(
    name: str, labeller, dataset, evaluation_slice=None, examples=None, training_size: int = 0
) -> HumanSession:
    """A new session measuring `dataset` (or a slice of it); `examples` is the training split
    that examples and the training round (`training_size` images) come from."""
    if HumanSession.objects.filter(name=name).exists():
        raise ReviewError(f"A session named {name!r} exists already.")
    if examples is not None and examples.pk == dataset.pk:
        raise ReviewError(
            "The examples must come from a training split, not from the dataset measured."
        )
    if not 0 <= training_size <= 1000:
        raise ReviewError("The training round has between 0 and 1000 images.")
    if training_size and examples is None:
        raise ReviewError("A training round needs a training split to take its images from.")
    return HumanSession.objects.create(
        name=name,
        labeller=labeller,
        dataset=dataset,
        evaluation_slice=evaluation_slice,
        examples=examples,
        training_size=training_size,
    )


def session_images(session: HumanSession):
    return selectors.images_for(session.dataset, session.evaluation_slice).order_by("pk")


def parse_pick(label_index: object, duration_ms: object) -> tuple[LabelClass, int]:
    """A pick's class (by index) and time on the image, checked."""
    try:
        label = LabelClass.objects.get(index=int(label_index))
    except (TypeError, ValueError, LabelClass.DoesNotExist) as exc:
        raise ReviewError(f"No class with index {label_index!r}.") from exc
    try:
        duration = int(duration_ms)
    except (TypeError, ValueError) as exc:
        raise ReviewError("The time on the image (duration_ms) is missing.") from exc
    if duration < 0:
        raise ReviewError("The time on the image cannot be negative.")
    return label, duration


def record_pick(
    session: HumanSession, labeller, image: Image, label_index: object, duration_ms: object
) -> HumanPick:
    """Store the labeller's one label for an image (first pick wins: re-sending it is a no-op).
    The measured round starts once the training round (review.human) is done."""
    from review.human import training_state  # review.human builds on this module

    if session.labeller_id != labeller.pk:
        raise ReviewError("This session belongs to another labeller.", "forbidden")
    if not session_images(session).filter(pk=image.pk).exists():
        raise ReviewError("That image is not part of this session.")
    label, duration = parse_pick(label_index, duration_ms)
    if session.training_size and training_state(session).pending:
        raise ReviewError("Finish the training round first.")
    pick, _ = HumanPick.objects.get_or_create(
        session=session, image=image, defaults={"label": label, "duration_ms": duration}
    )
    return pick
