"""Human-accuracy mode around the measured picks (review.services has the session and its
measured picks): example images and guide notes of any class from the session's training
split, the training round with immediate feedback, and time per image beside the crowd's.

The training split is a dataset of its own (imported like any other, for instance
`import_images train/ --dataset imagenet-train --per-class 10`) chosen when the session
starts. Its images whose id or bytes are among the measured images are never shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet

from catalogue.models import Image, LabelClass
from crowd.models import ClassifyAnswer, ContainsAnswer, Verification
from review import human_core as core
from review import selectors
from review.models import ClassGuide, HumanPick, HumanSession, TruthLabel
from review.services import ReviewError, parse_pick, session_images

EXAMPLES_SHOWN = 8


# --- The training split --------------------------------------------------------------------


def split_images(session: HumanSession) -> QuerySet[Image]:
    """The session's training-split images, less any measured image or copy of one."""
    if session.examples_id is None:
        return Image.objects.none()
    measured = session_images(session).order_by()
    return (
        Image.objects.filter(dataset_id=session.examples_id)
        .exclude(pk__in=measured.values("pk"))
        .exclude(sha256__in=measured.values("sha256"))
    )


def class_examples(session: HumanSession, label: LabelClass) -> list[Image]:
    return list(split_images(session).filter(label=label).order_by("pk")[:EXAMPLES_SHOWN])


def guide_notes(label: LabelClass) -> str:
    guide = ClassGuide.objects.filter(label=label).first()
    return guide.notes if guide else ""


# --- The training round --------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingState:
    done: int
    total: int  # the session's training size, or fewer when the split is smaller
    right: int

    @property
    def pending(self) -> bool:
        return self.done < self.total


def training_state(session: HumanSession) -> TrainingState:
    total = split_images(session)[: session.training_size].count()
    picks = list(
        session.picks.filter(training=True).values_list("image_id", "image__label_id", "label_id")
    )
    correct = correct_labels([image for image, _, _ in picks])
    right = sum(picked in correct[image] for image, _, picked in picks)
    return TrainingState(len(picks), total, right)


def next_training_image(session: HumanSession) -> Image | None:
    """The next image of the training round; the same order for every session on a split
    (by content hash, which is random-like across classes)."""
    if not training_state(session).pending:
        return None
    done = session.picks.filter(training=True).values("image")
    return split_images(session).exclude(pk__in=done).order_by("sha256", "pk").first()


def correct_labels(image_ids: list[int]) -> dict[int, list[int]]:
    """Each image's correct labels: its dataset label unless a ground-truth set marks it
    wrong, then the labels any set marks correct."""
    rows = TruthLabel.objects.filter(image_id__in=image_ids).exclude(status="unclear")
    statuses: dict[int, dict[int, set[str]]] = {i: {} for i in image_ids}
    for image, label, status in rows.values_list("image_id", "label_id", "status"):
        statuses[image].setdefault(label, set()).add(status)
    result = {}
    for image, own in Image.objects.filter(pk__in=image_ids).values_list("pk", "label_id"):
        marks = statuses[image]
        first = [] if TruthLabel.Status.WRONG in marks.get(own, ()) else [own]
        others = sorted(lab for lab, s in marks.items() if lab != own and "correct" in s)
        result[image] = first + others
    return result


def record_training_pick(
    session: HumanSession, labeller, public_id: str, label_index: object, duration_ms: object
) -> core.Feedback:
    """Store a training-round pick (first pick wins) and say whether it was right, with the
    correct labels. Refused once the training round is over."""
    if session.labeller_id != labeller.pk:
        raise ReviewError("This session belongs to another labeller.", "forbidden")
    image = split_images(session).filter(public_id=public_id).first()
    if image is None:
        raise ReviewError("That image is not part of this session's training round.")
    label, duration = parse_pick(label_index, duration_ms)
    with transaction.atomic():
        pick = HumanPick.objects.filter(session=session, image=image).first()
        if pick is None:
            if not training_state(session).pending:
                raise ReviewError("The training round is over.")
            pick, _ = HumanPick.objects.get_or_create(
                session=session,
                image=image,
                defaults={"label": label, "duration_ms": duration, "training": True},
            )
    correct = correct_labels([image.pk])[image.pk]
    names = dict(
        LabelClass.objects.filter(pk__in=[pick.label_id, *correct]).values_list("pk", "name")
    )
    return core.training_feedback(pick.label_id, correct, names)


# --- Time per image ------------------------------------------------------------------------


def session_time(session: HumanSession) -> core.TimeSummary:
    """The measured round's time per image (training picks left out)."""
    picks = session.picks.filter(training=False, image__in=session_images(session))
    return core.time_summary(picks.values_list("duration_ms", flat=True))


def crowd_time(dataset) -> dict[str, core.TimeSummary]:
    """The crowd's time per image on a dataset, from the counted (confirmed) answers'
    durations: a CLASSIFY task shows one image, a CONTAINS grid all of its items."""
    classify = ClassifyAnswer.objects.filter(
        task__image__dataset=dataset, verification=Verification.CONFIRMED
    ).values_list("duration_ms", flat=True)
    contains = (
        ContainsAnswer.objects.filter(
            grid__campaign__dataset=dataset, verification=Verification.CONFIRMED
        )
        .annotate(shown=Count("grid__items"))
        .values_list("duration_ms", "shown")
    )
    return {
        "classify": core.time_summary(classify),
        "contains": core.time_summary(core.per_image(contains)),
    }


def human_sessions(predictors: list[str]) -> dict[str, HumanSession]:
    """The human:<session> predictors among `predictors`, with their sessions."""
    names = [p.removeprefix(selectors.HUMAN_PREFIX) for p in predictors]
    sessions = HumanSession.objects.filter(name__in=names).select_related("dataset")
    found = {f"{selectors.HUMAN_PREFIX}{s.name}": s for s in sessions}
    return {p: found[p] for p in predictors if p in found}
