"""Stages 2 to 6: selection frequencies, candidate sets, inclusion, and the final labels."""

from django.db import models

from catalogue.models.classes import LabelClass
from catalogue.models.images import Image
from pipeline.models.campaigns import Campaign, StageRun


class CandidateLabel(models.Model):
    class Rule(models.IntegerChoices):
        DATASET_LABEL = 1, "Dataset label"
        FREQUENT = 2, "Selection frequency at or above the threshold"
        DISTANT = 3, "Seen, and far from the dataset label in WordNet"
        FILL = 4, "Filled up to the minimum by frequency"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="candidates")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    rule = models.PositiveSmallIntegerField(choices=Rule.choices)
    rank = models.PositiveSmallIntegerField(help_text="Order of admission.")
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "annotation_candidatelabel"
        ordering = ["image", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "image", "label"], name="candidate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.image_id} #{self.rank}: {self.label_id}"


class ImageInclusion(models.Model):
    """Whether an image goes on to CLASSIFY, and if not, why."""

    class Category(models.TextChoices):
        FOLLOW_UP = "follow_up", "Follow-up (CLASSIFY)"
        EASY = "easy", "Easy: dataset label clearly right"
        MISLABELED = "mislabeled", "Possibly mislabeled"
        AMBIGUOUS = "ambiguous", "Ambiguous: too few answers"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="inclusions")
    category = models.CharField(max_length=16, choices=Category.choices)
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "annotation_imageinclusion"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "image"], name="inclusion_unique")
        ]
        indexes = [models.Index(fields=["campaign", "category"])]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.category}"


class ImageLabels(models.Model):
    """The final labels of an image: its objects, the main label, the number of objects."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="final_labels")
    main_label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    num_objects = models.PositiveSmallIntegerField()
    main_object = models.PositiveSmallIntegerField(
        help_text="Index of the object with the main label."
    )
    dataset_object = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Index of the object holding the dataset label, if any."
    )
    answers = models.PositiveSmallIntegerField(help_text="CLASSIFY answers that survived QC.")
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "annotation_imagelabels"
        verbose_name_plural = "image labels"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "image"], name="image_labels_unique")
        ]

    def __str__(self) -> str:
        return f"labels of {self.image_id}"


class ImageObject(models.Model):
    """One distinct object of an image, named by its most selected label."""

    image_labels = models.ForeignKey(
        ImageLabels, on_delete=models.CASCADE, related_name="image_objects"
    )
    index = models.PositiveSmallIntegerField()
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "annotation_imageobject"
        ordering = ["image_labels", "index"]
        constraints = [
            models.UniqueConstraint(fields=["image_labels", "index"], name="image_object_unique")
        ]

    def __str__(self) -> str:
        return f"object {self.index} of {self.image_labels_id}"


class ImageObjectLabel(models.Model):
    """A label workers gave an object: its share within the object and selection frequency."""

    object = models.ForeignKey(ImageObject, on_delete=models.CASCADE, related_name="labels")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    share = models.FloatField()
    selection_frequency = models.FloatField()

    class Meta:
        db_table = "annotation_imageobjectlabel"
        constraints = [
            models.UniqueConstraint(fields=["object", "label"], name="image_object_label_unique")
        ]

    def __str__(self) -> str:
        return f"{self.object_id}: {self.label_id}"


class SelectionFrequency(models.Model):
    """How often workers saw `label` in `image`: selected / answers that survived QC."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="selection_frequencies")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    selected = models.PositiveIntegerField()
    answers = models.PositiveIntegerField()
    frequency = models.FloatField(null=True, help_text="Null when no answer survived.")
    run = models.ForeignKey(StageRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "annotation_selectionfrequency"
        verbose_name_plural = "selection frequencies"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "image", "label"], name="selection_frequency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(selected__lte=models.F("answers")),
                name="selection_frequency_at_most_answers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}/{self.label_id}: {self.selected}/{self.answers}"
