"""Stage 2: CONTAINS grids, their items and the workers' answers."""

from django.db import models
from django.db.models import Q

from catalogue.models.classes import LabelClass
from catalogue.models.images import Image
from crowd.models.workers import Assignment, Verification, Worker, verification_field
from pipeline.models.campaigns import Campaign, StageRun


class QcStatus(models.TextChoices):
    PENDING = "pending", "Not checked yet"
    KEPT = "kept", "Kept"
    DROPPED_WORKER = "dropped_worker", "Dropped: worker failed quality control"
    DROPPED_ANSWER = "dropped_answer", "Dropped: this answer failed quality control"


class ContainsGrid(models.Model):
    """A grid of images shown with one query label. Which items are controls stays here."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="grids")
    number = models.PositiveIntegerField(help_text="Serial number within the campaign.")
    query = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    public_id = models.CharField(max_length=32, unique=True)
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.JSONField(default=list, blank=True, help_text="Warnings from packing.")

    class Meta:
        db_table = "annotation_containsgrid"
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="grid_unique_number")
        ]

    def __str__(self) -> str:
        return f"grid {self.number} ({self.query.name})"


class GridItem(models.Model):
    grid = models.ForeignKey(ContainsGrid, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="grid_items")
    is_control = models.BooleanField(default=False)

    class Meta:
        db_table = "annotation_griditem"
        ordering = ["grid", "position"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "position"], name="grid_item_unique_position"),
            models.UniqueConstraint(fields=["grid", "image"], name="grid_item_unique_image"),
        ]

    def __str__(self) -> str:
        return f"grid {self.grid_id} #{self.position}"


class ContainsAnswer(models.Model):
    """One worker's answer to one grid; the selected items are ContainsSelection rows."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="contains_answer"
    )
    grid = models.ForeignKey(ContainsGrid, on_delete=models.CASCADE, related_name="answers")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="contains_answers")
    submitted_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time on task.")
    qc_status = models.CharField(max_length=16, choices=QcStatus.choices, default=QcStatus.PENDING)
    qc_reason = models.TextField(blank=True)
    verification = verification_field()
    items = models.ManyToManyField(GridItem, through="ContainsSelection", related_name="+")

    class Meta:
        db_table = "annotation_containsanswer"
        constraints = [
            # One counted answer per worker and task. Unconfirmed ones may be several: someone
            # answering first under a real worker's id must not lock the real answer out.
            models.UniqueConstraint(
                fields=["grid", "worker"],
                condition=Q(verification=Verification.CONFIRMED),
                name="contains_one_answer_per_worker",
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "qc_status"]),
            # A worker's answers to a query's grids (crowd.services.task_facts.seen_sql).
            models.Index(fields=["worker", "grid"], name="contains_answer_worker_grid"),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to grid {self.grid_id}"


class ContainsSelection(models.Model):
    answer = models.ForeignKey(ContainsAnswer, on_delete=models.CASCADE, related_name="selections")
    item = models.ForeignKey(GridItem, on_delete=models.CASCADE, related_name="selections")

    class Meta:
        db_table = "annotation_containsselection"
        constraints = [models.UniqueConstraint(fields=["answer", "item"], name="selection_unique")]

    def __str__(self) -> str:
        return f"{self.answer_id}: item {self.item_id}"
