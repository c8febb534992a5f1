"""Workers and their assignments, whichever task kind and crowd they come from; and whether an
answer's source is verified (Verification)."""

from django.db import models
from django.db.models import Q

from pipeline.models.campaigns import Campaign


class Verification(models.TextChoices):
    """Whether an answer's source is verified, so that it may count (quality control,
    selection frequencies, aggregation, payment).

    A HIT page opened with Mechanical Turk's URL parameters cannot tell a real worker from
    anyone who writes those parameters by hand, so an answer given through them is stored
    PENDING until the MTurk sync sees ListAssignmentsForHIT return that worker's submitted
    assignment of that HIT (crowd.mturk.sync); the sync marks it UNCONFIRMED when MTurk gives
    the assignment to another worker or names another answer, or when the HIT has closed
    without it. A signed invite (local crowd, simulated crowd) is verified by its signature:
    those answers are CONFIRMED when stored, as are answers written by the project's own code
    (the direct simulators, sample campaigns), hence the default."""

    PENDING = "pending", "Waiting for Mechanical Turk to confirm it"
    CONFIRMED = "confirmed", "Confirmed"
    UNCONFIRMED = "unconfirmed", "Not confirmed by Mechanical Turk"


def verification_field() -> models.CharField:
    return models.CharField(
        max_length=16,
        choices=Verification.choices,
        default=Verification.CONFIRMED,
        help_text="Only confirmed answers count; MTurk answers wait for the sync to confirm them.",
    )


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
    # NULL, not "", when there is none (answers written by the simulators): NULLs never clash
    # in the (worker, external_id) constraint.
    external_id = models.CharField(  # noqa: DJ001
        max_length=128,
        null=True,
        blank=True,
        db_index=True,
        help_text="MTurk AssignmentId (one per worker: whoever else names it is not the one "
        "MTurk gave it to, which the sync tells).",
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
            # Not unique alone: anyone can name a real worker's AssignmentId in a page's URL,
            # and that must not lock the real worker out; the sync keeps the one MTurk lists.
            models.UniqueConstraint(
                fields=["worker", "external_id"], name="assignment_unique_worker_external_id"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} assignment {self.external_id or self.pk}"
