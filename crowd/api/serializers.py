"""Read-only representation of workers with their figures (see crowd.api.selectors)."""

from __future__ import annotations

from rest_framework import serializers

from crowd.models import Worker


class WorkerSerializer(serializers.ModelSerializer):
    contains_answers = serializers.IntegerField(source="contains_answers_count")
    classify_answers = serializers.IntegerField(source="classify_answers_count")
    classify_dropped = serializers.IntegerField(source="classify_dropped_count")
    controls_shown = serializers.IntegerField()
    controls_selected = serializers.IntegerField()
    control_accuracy = serializers.SerializerMethodField()

    class Meta:
        model = Worker
        fields = [
            "id",
            "source",
            "external_id",
            "blocked",
            "blocked_reason",
            "contains_answers",
            "classify_answers",
            "classify_dropped",
            "controls_shown",
            "controls_selected",
            "control_accuracy",
        ]

    def get_control_accuracy(self, worker: Worker) -> float | None:
        """Share of the controls shown to the worker that they selected; null without any."""
        if not worker.controls_shown:
            return None
        return worker.controls_selected / worker.controls_shown
