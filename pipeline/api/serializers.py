"""Read-only representations of campaigns and of images with their pipeline data. Nested data
comes from prefetched rows (see pipeline.api.selectors)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.api.serializers import LabelRefSerializer
from catalogue.models import Image
from pipeline.exports import image_name
from pipeline.models import (
    Campaign,
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
)


class StageRunSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = StageRun
        fields = [
            "id",
            "stage",
            "status",
            "done",
            "total",
            "progress",
            "message",
            "code_version",
            "params",
            "started_at",
            "finished_at",
        ]


class CampaignSerializer(serializers.ModelSerializer):
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    dataset_id = serializers.IntegerField(read_only=True)
    owner = serializers.SlugRelatedField(slug_field=get_user_model().USERNAME_FIELD, read_only=True)
    params = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()
    runs = StageRunSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "dataset",
            "dataset_id",
            "state",
            "seed",
            "owner",
            "created_at",
            "params",
            "stages",
            "runs",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_params(self, campaign: Campaign) -> dict:
        return campaign.params.as_json()

    @extend_schema_field(StageRunSerializer(many=True))
    def get_stages(self, campaign: Campaign) -> list[dict]:
        """The latest run of each stage, in pipeline order."""
        latest: dict[str, StageRun] = {}
        for run in campaign.runs.all():  # prefetched, newest first
            latest.setdefault(run.stage, run)
        order = list(StageRun.Stage.values)
        runs = sorted(latest.values(), key=lambda run: order.index(run.stage))
        return StageRunSerializer(runs, many=True).data


class PotentialLabelSerializer(serializers.ModelSerializer):
    label = LabelRefSerializer()

    class Meta:
        model = PotentialLabel
        fields = ["campaign", "label", "is_dataset_label", "model_count"]


class PredictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelPrediction
        fields = ["model_name", "weights", "random_weights", "labels", "probabilities"]


class SelectionFrequencySerializer(serializers.ModelSerializer):
    label = LabelRefSerializer()

    class Meta:
        model = SelectionFrequency
        fields = ["campaign", "label", "selected", "answers", "frequency"]


class CandidateSerializer(serializers.ModelSerializer):
    label = LabelRefSerializer()

    class Meta:
        model = CandidateLabel
        fields = ["campaign", "label", "rule", "rank"]


class InclusionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImageInclusion
        fields = ["campaign", "category"]


class ObjectLabelSerializer(serializers.ModelSerializer):
    label = LabelRefSerializer()

    class Meta:
        model = ImageObjectLabel
        fields = ["label", "share", "selection_frequency"]


class ObjectSerializer(serializers.ModelSerializer):
    label = LabelRefSerializer()
    labels = ObjectLabelSerializer(many=True)

    class Meta:
        model = ImageObject
        fields = ["index", "label", "labels"]


class FinalLabelsSerializer(serializers.ModelSerializer):
    main_label = LabelRefSerializer()
    objects = ObjectSerializer(many=True, source="image_objects")

    class Meta:
        model = ImageLabels
        fields = [
            "campaign",
            "main_label",
            "num_objects",
            "main_object",
            "dataset_object",
            "answers",
            "objects",
        ]


class ImageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    image = serializers.SerializerMethodField()
    label = LabelRefSerializer()
    random_weights = serializers.SerializerMethodField()
    predictions = PredictionSerializer(many=True)
    potential_labels = PotentialLabelSerializer(many=True)
    selection_frequencies = SelectionFrequencySerializer(many=True)
    candidates = CandidateSerializer(many=True)
    inclusions = InclusionSerializer(many=True)
    final_labels = FinalLabelsSerializer(many=True)

    class Meta:
        model = Image
        fields = [
            "id",
            "dataset",
            "image",
            "label",
            "width",
            "height",
            "random_weights",
            "predictions",
            "potential_labels",
            "selection_frequencies",
            "candidates",
            "inclusions",
            "final_labels",
        ]

    def get_image(self, image: Image) -> str:
        """The file name it was imported from."""
        return image_name(image.source)

    def get_random_weights(self, image: Image) -> bool:
        """True when a prediction behind its potential labels came from untrained weights."""
        return any(p.random_weights for p in image.predictions.all())
