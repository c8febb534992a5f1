"""Stage 5: CLASSIFY tasks (one image, its candidate labels) and the workers' answers."""

from django.db import models
from django.db.models import Q

from catalogue.models.classes import LabelClass
from catalogue.models.images import Image
from crowd.models.contains import QcStatus
from crowd.models.workers import Assignment, Verification, Worker, verification_field
from pipeline.models.campaigns import Campaign, StageRun


class ClassifyTask(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="classify_tasks")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="classify_tasks")
    public_id = models.CharField(max_length=32, unique=True)
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")
    labels = models.ManyToManyField(LabelClass, through="ClassifyOption", related_name="+")

    class Meta:
        db_table = "annotation_classifytask"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "image"], name="classify_task_unique")
        ]

    def __str__(self) -> str:
        return f"classify {self.image_id}"


class ClassifyOption(models.Model):
    """A candidate label of a task, at the (shuffled) position it is shown in."""

    task = models.ForeignKey(ClassifyTask, on_delete=models.CASCADE, related_name="options")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "annotation_classifyoption"
        ordering = ["task", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "label"], name="classify_option_unique_label"),
            models.UniqueConstraint(
                fields=["task", "position"], name="classify_option_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}#{self.position}: {self.label_id}"


class ClassifyAnswer(models.Model):
    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="classify_answer"
    )
    task = models.ForeignKey(ClassifyTask, on_delete=models.CASCADE, related_name="answers")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="classify_answers")
    selected = models.ManyToManyField(LabelClass, through="ClassifyAnswerLabel", related_name="+")
    main_label = models.ForeignKey(
        LabelClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    qc_status = models.CharField(max_length=16, choices=QcStatus.choices, default=QcStatus.PENDING)
    qc_reason = models.TextField(blank=True)
    verification = verification_field()

    class Meta:
        db_table = "annotation_classifyanswer"
        constraints = [
            # One counted answer per worker and task. Unconfirmed ones may be several: someone
            # answering first under a real worker's id must not lock the real answer out.
            models.UniqueConstraint(
                fields=["task", "worker"],
                condition=Q(verification=Verification.CONFIRMED),
                name="classify_one_answer_per_worker",
            ),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to {self.task_id}"


class ClassifyAnswerLabel(models.Model):
    answer = models.ForeignKey(ClassifyAnswer, on_delete=models.CASCADE, related_name="labels")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "annotation_classifyanswerlabel"
        constraints = [
            models.UniqueConstraint(fields=["answer", "label"], name="classify_answer_label_unique")
        ]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.label_id}"
