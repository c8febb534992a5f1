"""Read-only representations of the expert review and evaluation: ground-truth sets and
their per-image labels, review items with their votes, evaluation slices, human-accuracy
sessions and score rows."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.models import Image, LabelClass
from pipeline.exports import image_name
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanSession,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)
from review.selectors import HUMAN_PREFIX


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
    def get_correct(self, obj: Image) -> list[dict]:
        return self._labels(obj, TruthLabel.Status.CORRECT)

    @extend_schema_field_labels
    def get_wrong(self, obj: Image) -> list[dict]:
        return self._labels(obj, TruthLabel.Status.WRONG)

    @extend_schema_field_labels
    def get_unclear(self, obj: Image) -> list[dict]:
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
        return f"{HUMAN_PREFIX}{obj.name}"


class ScoreRowSerializer(serializers.Serializer):
    predictor = serializers.CharField()
    random_weights = serializers.BooleanField(
        help_text="The predictor's predictions come from untrained (random) weights: its "
        "accuracy is not a trained model's."
    )
    slice = serializers.CharField(help_text="all, dogs, organisms, objects or problematic.")
    accuracy = serializers.FloatField(
        allow_null=True, help_text="right / n: a label judged unclear is not right."
    )
    ci_low = serializers.FloatField(allow_null=True, help_text="95% Clopper-Pearson, lower.")
    ci_high = serializers.FloatField(allow_null=True, help_text="95% Clopper-Pearson, upper.")
    accuracy_with_unclear = serializers.FloatField(
        allow_null=True,
        help_text="(right + unclear) / n: also accepts labels judged unclear (ImageNet-M's "
        "evaluation), beside the headline accuracy that does not.",
    )
    ci_low_with_unclear = serializers.FloatField(allow_null=True, help_text="Its 95% CI, lower.")
    ci_high_with_unclear = serializers.FloatField(allow_null=True, help_text="Its 95% CI, upper.")
    top1_accuracy = serializers.FloatField(
        allow_null=True,
        help_text="Share of the same n predictions that are the dataset label (top-1 accuracy, "
        "against which Shankar et al.'s Fig 4 plots multi-label accuracy).",
    )
    top1_right = serializers.IntegerField(help_text="Predictions of the dataset label among n.")
    n = serializers.IntegerField(
        source="scored", help_text="Predictions scored: right, wrong or unclear."
    )
    right = serializers.IntegerField()
    wrong = serializers.IntegerField()
    unclear = serializers.IntegerField(help_text="Predicted labels judged unclear.")
    unreviewed = serializers.IntegerField(help_text="Predictions nobody judged (queued).")
    no_truth = serializers.IntegerField(help_text="Images without any ground truth.")
