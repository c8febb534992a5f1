"""The expert review and evaluation through the API (read-only, same visibility as the rest:
staff see everything; other users the data of their campaigns' datasets). Ground-truth sets
and their per-image labels, review items with their votes and panel outcome, evaluation
slices with their images, human-accuracy sessions, and the models' scores."""

from __future__ import annotations

import math

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.filters import Filter, apply_filters, parameters
from api.views import Pagination
from catalogue.models import Image, LabelClass
from pipeline.exports import image_name
from review import selectors as review
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanSession,
    ReviewItem,
    ReviewVote,
    TruthLabel,
    Verdict,
)
from review.truth import GroundTruthError, resolve_sets

# --- Serializers ---------------------------------------------------------------------------


class LabelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelClass
        fields = ["index", "wnid", "name"]
        ref_name = "ReviewLabelRef"


extend_schema_field_labels = extend_schema_field(LabelRefSerializer(many=True))


class GroundTruthSetSerializer(serializers.ModelSerializer):
    label_count = serializers.IntegerField(read_only=True)
    image_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = GroundTruthSet
        fields = [
            "id",
            "name",
            "kind",
            "campaign",
            "exhaustive",
            "description",
            "label_count",
            "image_count",
            "created_at",
            "updated_at",
        ]


class ImageRefSerializer(serializers.ModelSerializer):
    """An image by its public id, file name, dataset and dataset label."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    image = serializers.SerializerMethodField()
    dataset_label = serializers.IntegerField(source="label.index", read_only=True)

    class Meta:
        model = Image
        fields = ["id", "image", "dataset", "dataset_label"]

    def get_image(self, obj: Image) -> str:
        return image_name(obj.source)


class ImageTruthSerializer(ImageRefSerializer):
    """An image's labels in one ground-truth set, by status, and its problem flags."""

    correct = serializers.SerializerMethodField()
    wrong = serializers.SerializerMethodField()
    unclear = serializers.SerializerMethodField()
    problematic = serializers.SerializerMethodField()

    class Meta(ImageRefSerializer.Meta):
        fields = [*ImageRefSerializer.Meta.fields, "correct", "wrong", "unclear", "problematic"]

    def _labels(self, obj: Image, status: str) -> list[dict]:
        rows = [row.label for row in obj.set_labels if row.status == status]
        return LabelRefSerializer(rows, many=True).data

    @extend_schema_field_labels
    def get_correct(self, obj) -> list[dict]:
        return self._labels(obj, TruthLabel.Status.CORRECT)

    @extend_schema_field_labels
    def get_wrong(self, obj) -> list[dict]:
        return self._labels(obj, TruthLabel.Status.WRONG)

    @extend_schema_field_labels
    def get_unclear(self, obj) -> list[dict]:
        return self._labels(obj, TruthLabel.Status.UNCLEAR)

    def get_problematic(self, obj: Image) -> list[str]:
        return sorted({flag.kind for flag in obj.problem_flags.all()})


class ReviewVoteSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = ReviewVote
        fields = [
            "id",
            "reviewer",
            "verdict",
            "severity",
            "category",
            "comment",
            "duration_ms",
            "superseded",
            "created_at",
        ]


class ReviewItemSerializer(serializers.ModelSerializer):
    """A unique (image, predicted label), the panel's outcome, and every vote (superseded
    ones included: the history is kept)."""

    image = ImageRefSerializer(read_only=True)
    label = LabelRefSerializer(read_only=True)
    votes = ReviewVoteSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "image",
            "label",
            "score",
            "models_predicting",
            "state",
            "decision",
            "severity",
            "category",
            "created_at",
            "decided_at",
            "votes",
        ]


class EvaluationSliceSerializer(serializers.ModelSerializer):
    image_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = EvaluationSlice
        fields = ["id", "name", "description", "params", "image_count", "created_at"]


class HumanSessionSerializer(serializers.ModelSerializer):
    labeller = serializers.CharField(source="labeller.username", read_only=True)
    evaluation_slice = serializers.SlugRelatedField(slug_field="name", read_only=True)
    pick_count = serializers.IntegerField(read_only=True)
    mean_duration_ms = serializers.FloatField(read_only=True, allow_null=True)
    predictor = serializers.SerializerMethodField()

    class Meta:
        model = HumanSession
        fields = [
            "id",
            "name",
            "labeller",
            "dataset",
            "evaluation_slice",
            "pick_count",
            "mean_duration_ms",
            "predictor",
            "created_at",
        ]

    def get_predictor(self, obj: HumanSession) -> str:
        """The name to score it by (`predictor=` of the scores endpoint)."""
        return f"{review.HUMAN_PREFIX}{obj.name}"


class ScoreRowSerializer(serializers.Serializer):
    predictor = serializers.CharField()
    random_weights = serializers.BooleanField(
        help_text="The predictor's predictions come from untrained (random) weights: its "
        "accuracy is not a trained model's."
    )
    slice = serializers.CharField(help_text="all, dogs, organisms, objects or problematic.")
    accuracy = serializers.FloatField(allow_null=True, help_text="right / (right + wrong).")
    ci_low = serializers.FloatField(allow_null=True, help_text="95% Clopper-Pearson, lower.")
    ci_high = serializers.FloatField(allow_null=True, help_text="95% Clopper-Pearson, upper.")
    n = serializers.IntegerField(source="scored", help_text="Predictions scored right or wrong.")
    right = serializers.IntegerField()
    wrong = serializers.IntegerField()
    unclear = serializers.IntegerField(help_text="Predicted labels judged unclear.")
    unreviewed = serializers.IntegerField(help_text="Predictions nobody judged (queued).")
    no_truth = serializers.IntegerField(help_text="Images without any ground truth.")


# --- Visibility ------------------------------------------------------------------------------


def visible_truth_sets(user) -> QuerySet[GroundTruthSet]:
    """Sets of no campaign (imported, the panel's) and those of the user's campaigns."""
    sets = GroundTruthSet.objects.all()
    if selectors.sees_everything(user):
        return sets
    return sets.filter(Q(campaign__isnull=True) | Q(campaign__in=selectors.visible_campaigns(user)))


def default_truth_sets(user) -> list[GroundTruthSet]:
    """Every visible set, imported first, then crowd, then the panel's (later sets win)."""
    order = Case(
        When(kind=GroundTruthSet.Kind.IMPORTED, then=Value(0)),
        When(kind=GroundTruthSet.Kind.CROWD, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(visible_truth_sets(user).order_by(order, "name"))


def visible_images(user) -> QuerySet[Image]:
    return Image.objects.filter(dataset__in=selectors.visible_datasets(user))


def _image_refs(images: QuerySet[Image]) -> QuerySet[Image]:
    return images.select_related("label").order_by("id")


# --- Views ---------------------------------------------------------------------------------


class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination


class GroundTruthSetViewSet(_ReadOnly):
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
            _image_refs(visible_images(request.user))
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


class ReviewItemViewSet(_ReadOnly):
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
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class EvaluationSliceViewSet(_ReadOnly):
    """Named evaluation slices (e.g. the major-mistakes slice), by name; `images` lists the
    slice's images (those of datasets the user can see)."""

    serializer_class = EvaluationSliceSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        count = Count("images", filter=Q(images__dataset__in=selectors.visible_datasets(user)))
        if selectors.sees_everything(user):
            count = Count("images")
        return EvaluationSlice.objects.annotate(image_count=count).order_by("name")

    @extend_schema(responses=ImageRefSerializer(many=True))
    @action(detail=True, serializer_class=ImageRefSerializer)
    def images(self, request: Request, name=None) -> Response:
        evaluation_slice = self.get_object()
        images = _image_refs(visible_images(request.user)).filter(
            evaluation_slices=evaluation_slice
        )
        page = self.paginate_queryset(images)
        return self.get_paginated_response(ImageRefSerializer(page, many=True).data)


class HumanSessionViewSet(_ReadOnly):
    """Human-accuracy sessions with their pick counts; score one with
    `/api/scores/?predictor=human:<name>`."""

    serializer_class = HumanSessionSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet:
        return (
            HumanSession.objects.filter(dataset__in=selectors.visible_datasets(self.request.user))
            .select_related("labeller", "evaluation_slice")
            .annotate(pick_count=Count("picks"), mean_duration_ms=Avg("picks__duration_ms"))
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


class ScoreViewSet(viewsets.ViewSet):
    """Multi-label accuracy of every predictor per class slice, with 95% Clopper-Pearson
    intervals; predictions nobody has reviewed are counted (`unreviewed`), not scored, and a
    predictor whose predictions come from random weights is marked (`random_weights`)."""

    @extend_schema(
        parameters=parameters(SCORE_PARAMETERS),
        responses=inline_serializer(
            "ScoreReport",
            {
                "truth_sets": serializers.ListField(child=serializers.CharField()),
                "dataset": serializers.IntegerField(allow_null=True),
                "evaluation_slice": serializers.CharField(allow_null=True),
                "images": serializers.IntegerField(),
                "results": ScoreRowSerializer(many=True),
            },
        ),
    )
    def list(self, request: Request) -> Response:
        user = request.user
        params = {f.name: request.query_params.get(f.name, "") for f in SCORE_PARAMETERS}
        dataset = None
        if params["dataset"]:
            dataset_id = SCORE_PARAMETERS[0].parse(params["dataset"])
            dataset = selectors.visible_datasets(user).filter(pk=dataset_id).first()
            if dataset is None:
                raise ValidationError({"dataset": f"no dataset {dataset_id} visible to you"})
        elif not selectors.sees_everything(user):
            raise ValidationError({"dataset": "name one of your datasets"})
        evaluation_slice = None
        if params["evaluation_slice"]:
            evaluation_slice = EvaluationSlice.objects.filter(
                name=params["evaluation_slice"]
            ).first()
            if evaluation_slice is None:
                raise ValidationError(
                    {"evaluation_slice": f"no slice {params['evaluation_slice']!r}"}
                )
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


def chosen_truth_sets(user, raw: str) -> list[GroundTruthSet]:
    """Comma-separated set names, in that order, all visible to the user; none named: every
    visible set (imported, then crowd, then the panel's)."""
    if not raw:
        return default_truth_sets(user)
    try:
        chosen = resolve_sets(raw.split(","))
    except GroundTruthError as error:
        raise ValidationError({"truth_set": str(error)}) from None
    visible = set(visible_truth_sets(user).values_list("pk", flat=True))
    hidden = [s.name for s in chosen if s.pk not in visible]
    if hidden:
        raise ValidationError({"truth_set": f"not visible to you: {', '.join(hidden)}"})
    return chosen


__all__ = [
    "EvaluationSliceViewSet",
    "GroundTruthSetViewSet",
    "HumanSessionViewSet",
    "ReviewItemViewSet",
    "ScoreViewSet",
]
