"""The expert review and evaluation viewsets: ground-truth sets and their per-image labels,
review items with their votes and panel outcome, evaluation slices with their images,
human-accuracy sessions, and the predictors' scores. Users see what api.access lets them:
staff everything; others the data of their campaigns' datasets."""

from __future__ import annotations

import math

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import User, sees_everything, visible_datasets, visible_images
from api.filters import Filter, apply_filters, checked_values, parameters
from api.pagination import ReadOnlyViewSet
from catalogue.models import Dataset
from review import selectors as review
from review.api.selectors import chosen_truth_sets, image_refs, visible_truth_sets
from review.api.serializers import (
    EvaluationSliceSerializer,
    GroundTruthSetSerializer,
    HumanSessionSerializer,
    ImageRefSerializer,
    ImageTruthSerializer,
    ReviewItemSerializer,
    ScoreRowSerializer,
)
from review.models import EvaluationSlice, HumanSession, ReviewItem, ReviewVote, TruthLabel, Verdict


class GroundTruthSetViewSet(ReadOnlyViewSet):
    """Ground-truth sets (crowd, expert panel, imported), by name. `images` lists the
    per-image labels of a set: correct, wrong and unclear, with problem flags."""

    serializer_class = GroundTruthSetSerializer
    lookup_field = "name"
    image_filters = [
        Filter("dataset", "Dataset id.", lambda qs, v, r: qs.filter(dataset_id=v)),
        Filter(
            "label",
            "Images with this label judged in the set (class index or WordNet id).",
            lambda qs, v, r: qs,  # applied in `images`, on the set's rows
            kind="label",
        ),
    ]

    def get_queryset(self) -> QuerySet:
        # Ordered here: Django drops Meta.ordering from aggregate queries, and pages of an
        # unordered query may repeat or skip sets.
        return (
            visible_truth_sets(self.request.user)
            .annotate(
                label_count=Count("labels"), image_count=Count("labels__image", distinct=True)
            )
            .order_by("name")
        )

    @extend_schema(parameters=parameters(image_filters), responses=ImageTruthSerializer(many=True))
    @action(detail=True, serializer_class=ImageTruthSerializer)
    def images(self, request: Request, name=None) -> Response:
        truth_set = self.get_object()
        rows = TruthLabel.objects.filter(truth_set=truth_set).select_related("label")
        judged = TruthLabel.objects.filter(truth_set=truth_set, image=OuterRef("pk"))
        if raw := request.query_params.get("label"):
            judged = judged.filter(label=self.image_filters[1].parse(raw))
        images = (
            image_refs(visible_images(request.user))
            .filter(Exists(judged))
            .prefetch_related(
                Prefetch(
                    "truth_labels",
                    queryset=rows.order_by("label__index"),
                    to_attr="set_labels",
                ),
                "problem_flags",
            )
        )
        images = apply_filters(images, request, self.image_filters)
        page = self.paginate_queryset(images)
        return self.get_paginated_response(ImageTruthSerializer(page, many=True).data)


class ReviewItemViewSet(ReadOnlyViewSet):
    """Review items (unique image and predicted label) with the panel's outcome and votes."""

    serializer_class = ReviewItemSerializer
    filters = [
        Filter("dataset", "Dataset id.", lambda qs, v, r: qs.filter(image__dataset_id=v)),
        Filter(
            "state",
            "Panel state.",
            lambda qs, v, r: qs.filter(state=v),
            kind="str",
            enum=list(ReviewItem.State.values),
        ),
        Filter(
            "decision",
            "Panel decision.",
            lambda qs, v, r: qs.filter(decision=v),
            kind="str",
            enum=list(Verdict.values),
        ),
        Filter(
            "label",
            "Predicted label (class index or WordNet id).",
            lambda qs, v, r: qs.filter(label=v),
            kind="label",
        ),
    ]

    def get_queryset(self) -> QuerySet:
        votes = ReviewVote.objects.select_related("reviewer").order_by("created_at", "id")
        items = (
            ReviewItem.objects.filter(image__in=visible_images(self.request.user))
            .select_related("image__label", "label")
            .prefetch_related(Prefetch("votes", queryset=votes))
            .order_by("id")
        )
        return apply_filters(items, self.request, self.filters)

    @extend_schema(parameters=parameters(filters))
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)


class EvaluationSliceViewSet(ReadOnlyViewSet):
    """Named evaluation slices (e.g. the major-mistakes slice), by name; `images` lists the
    slice's images (those of datasets the user can see)."""

    serializer_class = EvaluationSliceSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        count = Count("images", filter=Q(images__dataset__in=visible_datasets(user)))
        if sees_everything(user):
            count = Count("images")
        return EvaluationSlice.objects.annotate(image_count=count).order_by("name")

    @extend_schema(responses=ImageRefSerializer(many=True))
    @action(detail=True, serializer_class=ImageRefSerializer)
    def images(self, request: Request, name=None) -> Response:
        evaluation_slice = self.get_object()
        images = image_refs(visible_images(request.user)).filter(evaluation_slices=evaluation_slice)
        page = self.paginate_queryset(images)
        return self.get_paginated_response(ImageRefSerializer(page, many=True).data)


class HumanSessionViewSet(ReadOnlyViewSet):
    """Human-accuracy sessions with their pick counts; score one with
    `/api/scores/?predictor=human:<name>`."""

    serializer_class = HumanSessionSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet:
        return (
            HumanSession.objects.filter(dataset__in=visible_datasets(self.request.user))
            .select_related("labeller", "evaluation_slice")
            .annotate(  # the measured round only: training picks are never scored
                pick_count=Count("picks", filter=Q(picks__training=False)),
                mean_duration_ms=Avg("picks__duration_ms", filter=Q(picks__training=False)),
            )
            .order_by("-created_at", "-id")
        )


def _nan_to_none(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


SCORE_PARAMETERS = [
    Filter("dataset", "Dataset id (required unless staff).", lambda qs, v, r: qs),
    Filter("evaluation_slice", "Evaluation slice name.", lambda qs, v, r: qs, kind="str"),
    Filter(
        "truth_set",
        "Ground-truth set names, comma-separated, later ones win (default: every visible set, "
        "imported, then crowd, then the expert panel's).",
        lambda qs, v, r: qs,
        kind="str",
    ),
    Filter(
        "predictor",
        "Models and human:<session> names, comma-separated (default: all).",
        lambda qs, v, r: qs,
        kind="str",
    ),
]
SCORE_REPORT = inline_serializer(
    "ScoreReport",
    {
        "truth_sets": serializers.ListField(child=serializers.CharField()),
        "dataset": serializers.IntegerField(allow_null=True),
        "evaluation_slice": serializers.CharField(allow_null=True),
        "images": serializers.IntegerField(),
        "results": ScoreRowSerializer(many=True),
    },
)


def _scored_dataset(user: User, raw: str) -> Dataset | None:
    """The dataset to score, one the user sees; only staff may leave it out (all datasets)."""
    if raw:
        dataset_id = SCORE_PARAMETERS[0].parse(raw)
        dataset = visible_datasets(user).filter(pk=dataset_id).first()
        if dataset is None:
            raise ValidationError({"dataset": f"no dataset {dataset_id} visible to you"})
        return dataset
    if not sees_everything(user):
        raise ValidationError({"dataset": "name one of your datasets"})
    return None


def _scored_slice(name: str) -> EvaluationSlice | None:
    """The evaluation slice named `name` (none named: every image); an unknown one is a 400."""
    if not name:
        return None
    evaluation_slice = EvaluationSlice.objects.filter(name=name).first()
    if evaluation_slice is None:
        raise ValidationError({"evaluation_slice": f"no slice {name!r}"})
    return evaluation_slice


class ScoreViewSet(viewsets.ViewSet):
    """Multi-label accuracy of every predictor per class slice, with 95% Clopper-Pearson
    intervals; predictions nobody has reviewed are counted (`unreviewed`), not scored, and a
    predictor whose predictions come from random weights is marked (`random_weights`)."""

    @extend_schema(parameters=parameters(SCORE_PARAMETERS), responses=SCORE_REPORT)
    def list(self, request: Request) -> Response:
        user = request.user
        params = checked_values(request, [f.name for f in SCORE_PARAMETERS])
        dataset = _scored_dataset(user, params["dataset"])
        evaluation_slice = _scored_slice(params["evaluation_slice"])
        truth_sets = chosen_truth_sets(user, params["truth_set"])
        names = [n for n in params["predictor"].split(",") if n] or review.predictor_names()
        rows: list[dict] = []
        images = 0
        if truth_sets:
            report = review.compute_scores(names, truth_sets, dataset, evaluation_slice)
            rows, images = [_nan_to_none(r) for r in report.rows()], report.images
        return Response(
            {
                "truth_sets": [s.name for s in truth_sets],
                "dataset": dataset.pk if dataset else None,
                "evaluation_slice": evaluation_slice.name if evaluation_slice else None,
                "images": images,
                "results": ScoreRowSerializer(rows, many=True).data,
            }
        )
