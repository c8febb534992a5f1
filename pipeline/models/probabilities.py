"""Beyond the paper: Dawid-Skene over the CONTAINS answers (pipeline/stages/dawid_skene.py).
Each (image, label) gets the probability that the label is in the image, each worker an
estimated sensitivity and specificity."""

from django.db import models

from catalogue.models.classes import LabelClass
from catalogue.models.images import Image
from pipeline.models.campaigns import Campaign, StageRun


class LabelProbability(models.Model):
    """P(label in image) from every confirmed CONTAINS answer, weighed by each worker's
    estimated confusion; beside the selection frequency, not instead of it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="label_probabilities")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(help_text="From the crowd's answers alone.")
    with_model = models.FloatField(
        null=True, blank=True, help_text="With the ensemble as one more voter (when asked)."
    )
    votes = models.PositiveIntegerField(help_text="Answers that saw the pair, QC or not.")
    selected = models.PositiveIntegerField()
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "pipeline_labelprobability"
        verbose_name_plural = "label probabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "image", "label"], name="label_probability_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_id}/{self.label_id}: {self.probability:.3f}"


class WorkerQuality(models.Model):
    """A worker's estimated confusion on one campaign's CONTAINS answers."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey("crowd.Worker", on_delete=models.CASCADE, related_name="qualities")
    sensitivity = models.FloatField(help_text="P(selected | label in the image).")
    specificity = models.FloatField(help_text="P(not selected | label not in the image).")
    accuracy = models.FloatField(help_text="Mean of sensitivity and specificity (0.5: random).")
    votes = models.PositiveIntegerField(help_text="Grid items the worker answered.")
    control_votes = models.PositiveIntegerField(help_text="Of those, controls.")
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "pipeline_workerquality"
        verbose_name_plural = "worker qualities"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "worker"], name="worker_quality_unique")
        ]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.accuracy:.3f}"
