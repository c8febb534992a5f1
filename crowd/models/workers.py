"""Workers and their assignments, whichever task kind and crowd they come from."""

from django.db import models
from django.db.models import Q

from pipeline.models.campaigns import Campaign


class Worker(models.Model):
    class Source(models.TextChoices):
        MTURK = "mturk", "Mechanical Turk"
        LOCAL = "local", "Local crowd"
        SIMULATED = "simulated", "Simulated"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MTURK)
    external_id = models.CharField(max_length=128, help_text="MTurk WorkerId or local handle.")
    blocked = models.BooleanField(default=False)
    blocked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_worker"
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="worker_unique_id")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Assignment(models.Model):
    """One worker's go at one task (a grid or a CLASSIFY task)."""

    class Kind(models.TextChoices):
        CONTAINS = "contains", "CONTAINS"
        CLASSIFY = "classify", "CLASSIFY"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RETURNED = "returned", "Returned or abandoned"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    grid = models.ForeignKey(
        "crowd.ContainsGrid",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    classify_task = models.ForeignKey(
        "crowd.ClassifyTask",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="assignments")
    external_id = models.CharField(
        max_length=128, null=True, blank=True, unique=True, help_text="MTurk AssignmentId."
    )
    hit_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    accepted_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "annotation_assignment"
        ordering = ["-accepted_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="contains", grid__isnull=False, classify_task__isnull=True)
                    | Q(kind="classify", grid__isnull=True, classify_task__isnull=False)
                ),
                name="assignment_task_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} assignment {self.external_id or self.pk}"
