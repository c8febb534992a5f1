"""Stage 1 output: each model's top-k per image, and each image's potential labels."""

from django.db import models

from catalogue.models.classes import LabelClass
from catalogue.models.images import Image
from pipeline.models.campaigns import Campaign, StageRun


class ModelPrediction(models.Model):
    """One model's top-k on one image. Kept whole: analyses and model evaluation use it."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="predictions")
    model_name = models.CharField(max_length=200, help_text="timm model name with weights tag.")
    weights = models.CharField(
        max_length=300, help_text="Where the weights came from (file, cache or 'random')."
    )
    random_weights = models.BooleanField(
        default=False, help_text="Made with untrained weights (tests, demo): not real predictions."
    )
    labels = models.JSONField(help_text="Class indices, best first.")
    probabilities = models.JSONField(help_text="Softmax probabilities, same order.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_modelprediction"
        constraints = [
            models.UniqueConstraint(
                fields=["image", "model_name", "random_weights"], name="prediction_once_per_model"
            )
        ]
        indexes = [models.Index(fields=["model_name"])]

    def __str__(self) -> str:
        return f"{self.model_name} on {self.image_id}"


class PotentialLabel(models.Model):
    """A label an image may hold: in some model's top-k, or the dataset label itself."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="potential_labels"
    )
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="potential_labels")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    is_dataset_label = models.BooleanField(default=False)
    model_count = models.PositiveSmallIntegerField(
        default=0, help_text="How many models of the ensemble have it in their top-k."
    )
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "annotation_potentiallabel"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "image", "label"], name="potential_label_unique"
            )
        ]
        indexes = [models.Index(fields=["campaign", "label"])]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.label_id}"
