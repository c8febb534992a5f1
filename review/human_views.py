"""Human-accuracy mode's screens around the measured picks: the labelling page of both rounds,
a class's examples and guide notes (JSON, opened in the page), the training round's picks
with their feedback (JSON), and the session's results. Thin: review.human does the work."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from api.access import reviewer_required
from catalogue.image_urls import image_url, thumbnail_url
from catalogue.models import Image, LabelClass
from review import human
from review.models import HumanSession
from review.services import ReviewError, session_images


def _own_session(request: HttpRequest, name: str) -> HumanSession | HttpResponse:
    session = get_object_or_404(HumanSession.objects.select_related("examples"), name=name)
    if session.labeller_id != request.user.pk:
        return HttpResponse("This session belongs to another labeller.", status=403)
    return session


def _picture(image: Image) -> dict[str, Any]:
    return {"url": image_url(image), "width": image.width, "height": image.height}


def label_page(request: HttpRequest, session: HumanSession) -> HttpResponse:
    """The labelling page: the training round's next image while it lasts, then the
    measured round's."""
    training = human.training_state(session)
    image = human.next_training_image(session) if training.pending else None
    in_training = image is not None
    if in_training:
        done, total = training.done, training.total
    else:
        images = session_images(session)
        image = images.exclude(pk__in=session.picks.values("image")).first()
        done = session.picks.filter(training=False).count()
        total = images.count()
    context = {
        "session": session,
        "image": image,
        "picture": _picture(image) if image else None,
        "done": done,
        "total": total,
        "training": training,
        "in_training": in_training,
    }
    return render(request, "review/human.html", context)


@require_GET
@reviewer_required
def examples(request: HttpRequest, name: str, index: int) -> HttpResponse:
    """A class's example images (from the session's training split) and its guide notes."""
    session = _own_session(request, name)
    if isinstance(session, HttpResponse):
        return session
    label = LabelClass.objects.filter(index=index).first()
    if label is None:
        return JsonResponse({"error": f"No class with index {index}."}, status=404)
    shown = human.class_examples(session, label)
    return JsonResponse(
        {
            "index": label.index,
            "name": label.name,
            "gloss": label.gloss,
            "guide": human.guide_notes(label),
            "split": session.examples.name if session.examples else None,
            "examples": [{"thumb": thumbnail_url(e), "full": image_url(e)} for e in shown],
        }
    )


@require_POST
@reviewer_required
def training_pick(request: HttpRequest, name: str) -> HttpResponse:
    """One pick of the training round; answers whether it was right and the correct labels."""
    session = _own_session(request, name)
    if isinstance(session, HttpResponse):
        return session
    try:
        feedback = human.record_training_pick(
            session,
            request.user,
            request.POST.get("image", ""),
            request.POST.get("label"),
            request.POST.get("duration_ms"),
        )
    except ReviewError as exc:
        status = 403 if exc.code == "forbidden" else 400
        return JsonResponse({"error": exc.message}, status=status)
    state = human.training_state(session)
    return JsonResponse(
        {
            **feedback.as_dict(),
            "done": state.done,
            "total": state.total,
            "right_so_far": state.right,
            "training_over": not state.pending,
        }
    )


@require_GET
@reviewer_required
def results(request: HttpRequest, name: str) -> HttpResponse:
    """The session's rounds and time per image, beside the crowd's on the same dataset."""
    session = get_object_or_404(
        HumanSession.objects.select_related("dataset", "examples", "labeller"), name=name
    )
    crowd = human.crowd_time(session.dataset)
    context = {
        "session": session,
        "training": human.training_state(session),
        "measured": session.picks.filter(training=False).count(),
        "total": session_images(session).count(),
        "times": [
            ("This session (measured round)", human.session_time(session)),
            ("Crowd, CLASSIFY (one image an answer)", crowd["classify"]),
            ("Crowd, CONTAINS (an answer's time over its grid's images)", crowd["contains"]),
        ],
    }
    return render(request, "review/human_results.html", context)
