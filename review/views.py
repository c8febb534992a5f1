"""The review screens (staff and the reviewers group: api.access): the queue, one item, the
discussion queue, guide notes, and human-accuracy mode. Thin: reads through selectors,
writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api.access import reviewer_required
from catalogue.image_urls import image_url, thumbnail_url
from catalogue.models import Dataset, Image, LabelClass
from review import human_views, selectors, services
from review.catalogue_json import class_catalogue
from review.models import (
    ClassGuide,
    EvaluationSlice,
    GroundTruthSet,
    HumanSession,
    MistakeCategory,
    ProblemFlag,
    ReviewItem,
    Severity,
    Verdict,
)

VERDICT_KEYS = {"c": Verdict.CORRECT, "i": Verdict.INCORRECT, "u": Verdict.UNCLEAR}
SEVERITY_KEYS = {"m": Severity.MAJOR, "n": Severity.MINOR}


def _duration(request: HttpRequest) -> int | None:
    try:
        value = int(request.POST.get("duration_ms", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _whole(value: str | None, what: str) -> int:
    try:
        return int(value or 0)
    except ValueError as exc:
        raise services.ReviewError(f"{what} must be a whole number; got {value!r}.") from exc


def _picture(image: Image) -> dict[str, Any]:
    return {"url": image_url(image), "width": image.width, "height": image.height}


@require_GET
@reviewer_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "sizes": selectors.queue_sizes(request.user),
        "truth_sets": GroundTruthSet.objects.all(),
        "slices": EvaluationSlice.objects.all(),
        "sessions": HumanSession.objects.filter(labeller=request.user),
    }
    return render(request, "review/home.html", context)


@require_GET
@reviewer_required
def next_item(request: HttpRequest) -> HttpResponse:
    item = selectors.review_queue(request.user).first()
    if item is None:
        messages.info(request, "Your review queue is empty.")
        return redirect("review-home")
    return redirect("review-item", item.pk)


@require_GET
@reviewer_required
def discussion(request: HttpRequest) -> HttpResponse:
    items = [
        {"item": item, "thumb": thumbnail_url(item.image)} for item in selectors.discussion_queue()
    ]
    return render(request, "review/discussion.html", {"items": items})


def _item_context(request: HttpRequest, item: ReviewItem) -> dict[str, Any]:
    votes = list(item.votes.select_related("reviewer").order_by("created_at", "id"))
    mine = next((v for v in votes if v.reviewer_id == request.user.pk and not v.superseded), None)
    show_votes = item.state != ReviewItem.State.OPEN
    guide = ClassGuide.objects.filter(label=item.label).first()
    examples = selectors.example_images(item.label, item.image)
    return {
        "item": item,
        "picture": _picture(item.image),
        "dataset_label": item.image.label,
        "judged": selectors.image_judgments(item.image),
        "examples": [{"thumb": thumbnail_url(e), "full": image_url(e)} for e in examples],
        "guide": guide.notes if guide else "",
        "guide_meta": guide,
        "mine": mine,
        "votes": votes if show_votes else [],
        "verdicts": [(k, v, Verdict(v).label) for k, v in VERDICT_KEYS.items()],
        "severities": [(k, v, Severity(v).label) for k, v in SEVERITY_KEYS.items()],
        "categories": [
            (str(n), v, label) for n, (v, label) in enumerate(MistakeCategory.choices, 1)
        ],
        "flag_kinds": [
            (str(n), v, label) for n, (v, label) in enumerate(ProblemFlag.Kind.choices, 1)
        ],
        "my_flags": set(
            ProblemFlag.objects.filter(image=item.image, reviewer=request.user).values_list(
                "kind", flat=True
            )
        ),
        "remaining": selectors.review_queue(request.user).count(),
        "from_discussion": request.GET.get("from") == "discussion",
    }


@require_http_methods(["GET", "POST"])
@reviewer_required
def item_screen(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem.objects.select_related("image__label", "label"), pk=pk)
    if request.method == "POST":
        try:
            services.cast_vote(
                item,
                request.user,
                request.POST.get("verdict", ""),
                request.POST.get("severity", ""),
                request.POST.get("category", ""),
                request.POST.get("comment", ""),
                _duration(request),
            )
            services.set_flags(item.image, request.user, request.POST.getlist("flags"))
        except services.ReviewError as exc:
            context = _item_context(request, item)
            context["error"] = exc.message
            return render(request, "review/item.html", context, status=400)
        if request.POST.get("from") == "discussion":
            return redirect("review-discussion")
        return redirect("review-next")
    return render(request, "review/item.html", _item_context(request, item))


@require_POST
@reviewer_required
def guide(request: HttpRequest, label_pk: int) -> HttpResponse:
    label = get_object_or_404(LabelClass, pk=label_pk)
    try:
        saved = services.save_guide(label, request.POST.get("notes", ""), request.user)
    except services.ReviewError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"saved": True, "notes": saved.notes})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("review-home")
    return redirect(back)


@require_GET
@reviewer_required
def classes_json(request: HttpRequest) -> JsonResponse:
    """Every class with its synonyms and WordNet path, shipped once per page load (cached)."""
    response = JsonResponse(class_catalogue())
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Human accuracy mode -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@reviewer_required
def human_sessions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        dataset = Dataset.objects.filter(pk=request.POST.get("dataset") or 0).first()
        slice_pk = request.POST.get("evaluation_slice")
        evaluation_slice = EvaluationSlice.objects.filter(pk=slice_pk).first() if slice_pk else None
        name = request.POST.get("name", "").strip()
        examples = Dataset.objects.filter(pk=request.POST.get("examples") or 0).first()
        try:
            if dataset is None or not name:
                raise services.ReviewError("Give the session a name and choose a dataset.")
            training_size = _whole(request.POST.get("training_size"), "The training round's size")
            session = services.start_session(
                name, request.user, dataset, evaluation_slice, examples, training_size
            )
        except services.ReviewError as exc:
            messages.error(request, exc.message)
            return redirect("human-sessions")
        return redirect("human-label", session.name)
    context = {
        "sessions": HumanSession.objects.select_related("dataset", "labeller"),
        "datasets": Dataset.objects.all(),
        "slices": EvaluationSlice.objects.all(),
    }
    return render(request, "review/human_sessions.html", context)


@require_http_methods(["GET", "POST"])
@reviewer_required
def human_label(request: HttpRequest, name: str) -> HttpResponse:
    session = get_object_or_404(HumanSession, name=name)
    if session.labeller_id != request.user.pk:
        return HttpResponse("This session belongs to another labeller.", status=403)
    images = services.session_images(session)
    if request.method == "POST":
        image = images.filter(public_id=request.POST.get("image", "")).first()
        try:
            if image is None:
                raise services.ReviewError("That image is not part of this session.")
            services.record_pick(
                session,
                request.user,
                image,
                request.POST.get("label"),
                request.POST.get("duration_ms"),
            )
        except services.ReviewError as exc:
            messages.error(request, exc.message)
        return redirect("human-label", session.name)
    return human_views.label_page(request, session)
