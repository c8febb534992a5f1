"""Adaptive collection and follow-up: every time the pipeline asked a task for more answers."""

from django.db import models
from django.db.models import Q

from pipeline.models.campaigns import Campaign


class AnswerRequest(models.Model):
    """More answers asked of one task (a CONTAINS grid or a CLASSIFY task).

    `target` is how many counted answers the task is to have after this request; the task's
    target is the largest of its requests (none: the campaign's minimum, or its maximum in
    the fixed design). A request is keyed by what it was decided on: the adaptive policy asks
    at most once per number of answers seen (`answers_seen`), so deciding again on the same
    answers asks for nothing (unique constraint). The MTurk extension it causes is logged as
    an MTurkCall and recorded in the Hit's max_assignments.
    """

    class Kind(models.TextChoices):
        CONTAINS = "contains", "CONTAINS"
        CLASSIFY = "classify", "CLASSIFY"

    class Reason(models.TextChoices):
        ADAPTIVE = "adaptive", "Outcome not settled"
        FOLLOWUP = "followup", "Follow-up on an ambiguous image"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    grid = models.ForeignKey(
        "crowd.ContainsGrid", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    classify_task = models.ForeignKey(
        "crowd.ClassifyTask", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    answers_seen = models.PositiveSmallIntegerField()
    target = models.PositiveSmallIntegerField()
    risk = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_answerrequest"
        ordering = ["campaign", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="contains", grid__isnull=False, classify_task__isnull=True)
                    | Q(kind="classify", grid__isnull=True, classify_task__isnull=False)
                ),
                name="answer_request_task_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["grid", "reason", "answers_seen"], name="answer_request_once_per_grid"
            ),
            models.UniqueConstraint(
                fields=["classify_task", "reason", "answers_seen"],
                name="answer_request_once_per_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request to {self.target} answers ({self.reason})"
