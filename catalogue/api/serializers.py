"""Read-only representations of classes and datasets."""

from __future__ import annotations

from rest_framework import serializers

from catalogue.models import Dataset, LabelClass


class LabelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelClass
        fields = ["index", "wnid", "name"]


class LabelClassSerializer(serializers.ModelSerializer):
    superclass = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = LabelClass
        fields = ["index", "wnid", "name", "synonyms", "gloss", "wikipedia_url", "superclass"]


class DatasetSerializer(serializers.ModelSerializer):
    image_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "created_at", "image_count"]
