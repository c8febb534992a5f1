"""Mechanical Turk: HIT settings per campaign, the HITs published, bonuses paid, and a log of
every call made to the MTurk API."""

from django.db import models
from django.db.models import Q

from crowd.models.workers import Assignment, Worker
from pipeline.models.campaigns import Campaign

DAY = 24 * 3600


class MTurkSettings(models.Model):
    """How a campaign's HITs look to workers and who may take them. Missing: the defaults."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="mturk_settings"
    )
    contains_title = models.CharField(
        max_length=200, default="Find the pictures that contain an object of a given kind"
    )
    contains_description = models.CharField(
        max_length=2000,
        default="Look at a grid of pictures and select every picture that contains an object "
        "of the kind described at the top.",
    )
    contains_duration = models.PositiveIntegerField(
        default=20 * 60, help_text="Seconds a worker has to finish one grid."
    )
    classify_title = models.CharField(max_length=200, default="Name the objects in a picture")
    classify_description = models.CharField(
        max_length=2000,
        default="Look at one picture, select every label that names an object in it, and the "
        "label of the main object.",
    )
    classify_duration = models.PositiveIntegerField(
        default=10 * 60, help_text="Seconds a worker has to finish one picture."
    )
    keywords = models.CharField(
        max_length=1000, default="image, picture, labeling, categorization, objects"
    )
    auto_approval_delay = models.PositiveIntegerField(
        default=3 * DAY,
        help_text="Seconds after submission before MTurk approves on its own: quality control "
        "and rejections must happen within it.",
    )
    lifetime = models.PositiveIntegerField(
        default=7 * DAY, help_text="Seconds a HIT stays on the market."
    )
    frame_height = models.PositiveIntegerField(
        default=0, help_text="Height of the HIT frame in pixels; 0 fills the worker's window."
    )
    locales = models.CharField(
        max_length=200,
        default="US",
        blank=True,
        help_text="Comma-separated ISO country codes workers must be in; empty: anywhere.",
    )
    min_approval_rate = models.PositiveSmallIntegerField(
        default=95, help_text="Percent of approved assignments a worker needs; 0: no requirement."
    )
    min_approved_hits = models.PositiveIntegerField(
        default=1000, help_text="Approved HITs a worker needs; 0: no requirement."
    )
    screening_qualification = models.CharField(
        max_length=64,
        blank=True,
        help_text="Our qualification type for workers who passed a screening; when set, only "
        "they can take the HITs.",
    )
    exclusion_qualification = models.CharField(
        max_length=64,
        blank=True,
        help_text="Our qualification type for excluded workers; they cannot see the HITs.",
    )

    class Meta:
        db_table = "annotation_mturksettings"
        verbose_name = "MTurk settings"
        verbose_name_plural = "MTurk settings"

    def __str__(self) -> str:
        return f"MTurk settings of {self.campaign}"


class Hit(models.Model):
    """One published HIT: a CONTAINS grid or a CLASSIFY task on the market."""

    class Kind(models.TextChoices):
        CONTAINS = "contains", "CONTAINS"
        CLASSIFY = "classify", "CLASSIFY"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="hits")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    grid = models.ForeignKey(
        "crowd.ContainsGrid",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hits",
    )
    classify_task = models.ForeignKey(
        "crowd.ClassifyTask",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hits",
    )
    sandbox = models.BooleanField(help_text="Published in the MTurk sandbox (no real money).")
    hit_id = models.CharField(max_length=64, unique=True)
    hit_type_id = models.CharField(max_length=64)
    unique_request_token = models.CharField(max_length=64)
    max_assignments = models.PositiveSmallIntegerField()
    reward = models.DecimalField(max_digits=6, decimal_places=2)
    status = models.CharField(max_length=32, help_text="MTurk's HITStatus.")
    done = models.BooleanField(
        default=False, help_text="Closed on MTurk and every assignment reviewed: sync skips it."
    )
    created = models.DateTimeField()
    expiration = models.DateTimeField()
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "annotation_hit"
        ordering = ["campaign", "kind", "created"]
        verbose_name = "HIT"
        constraints = [
            models.UniqueConstraint(
                fields=["sandbox", "unique_request_token"], name="hit_unique_request_token"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="contains", grid__isnull=False, classify_task__isnull=True)
                    | Q(kind="classify", grid__isnull=True, classify_task__isnull=False)
                ),
                name="hit_task_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "sandbox", "done"])]

    def __str__(self) -> str:
        return f"{self.kind} HIT {self.hit_id}"


class Bonus(models.Model):
    """A bonus paid (or being paid) to a worker for one assignment."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="bonuses")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="bonuses")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="bonuses")
    sandbox = models.BooleanField()
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    reason = models.TextField()
    unique_request_token = models.CharField(max_length=64)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Empty until MTurk took it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_bonus"
        ordering = ["-created_at"]
        verbose_name_plural = "bonuses"
        constraints = [
            models.UniqueConstraint(
                fields=["sandbox", "unique_request_token"], name="bonus_unique_request_token"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bonus_positive"),
        ]

    def __str__(self) -> str:
        return f"${self.amount} to {self.worker}"


class MTurkCall(models.Model):
    """One attempt at one MTurk API call, with what it sent (no secrets) and what came back."""

    operation = models.CharField(max_length=64)
    sandbox = models.BooleanField()
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="mturk_calls"
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    parameters = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_mturkcall"
        ordering = ["-created_at", "-id"]
        verbose_name = "MTurk call"
        indexes = [models.Index(fields=["operation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.operation} ({self.error_code or 'ok'})"
