"""Expert review and evaluation (Shankar et al. 2020; Vasudevan et al. 2022): multi-label
ground truth, the review panel's votes, problematic images, labeling-guide notes, evaluation
slices and human-accuracy sessions."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalogue.models.classes import LabelClass
from catalogue.models.images import Dataset, Image
from pipeline.models.campaigns import Campaign


class Verdict(models.TextChoices):
    CORRECT = "correct", "Correct"
    INCORRECT = "incorrect", "Incorrect"
    UNCLEAR = "unclear", "Unclear"


class Severity(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class MistakeCategory(models.TextChoices):
    FINE_GRAINED = "fine_grained", "Fine-grained"
    FINE_GRAINED_OOV = "fine_grained_oov", "Fine-grained, out-of-vocabulary object"
    SPURIOUS = "spurious", "Spurious correlation"
    NON_PROTOTYPICAL = "non_prototypical", "Non-prototypical"


class GroundTruthSet(models.Model):
    """One source of multi-label ground truth: a campaign's crowd labels, the expert panel,
    or an imported file (ReaL, or any per-image label lists)."""

    class Kind(models.TextChoices):
        CROWD = "crowd", "Crowd pipeline"
        EXPERT = "expert", "Expert review"
        IMPORTED = "imported", "Imported"

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    exhaustive = models.BooleanField(
        default=False,
        help_text="Every label not listed for a covered image is wrong (ReaL's convention).",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "annotation_groundtruthset"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TruthLabel(models.Model):
    """One judged label of one image in one ground-truth set."""

    class Status(models.TextChoices):
        CORRECT = "correct", "Correct"
        WRONG = "wrong", "Wrong"
        UNCLEAR = "unclear", "Unclear"

    truth_set = models.ForeignKey(GroundTruthSet, on_delete=models.CASCADE, related_name="labels")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="truth_labels")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)

    class Meta:
        db_table = "annotation_truthlabel"
        constraints = [
            models.UniqueConstraint(
                fields=["truth_set", "image", "label"], name="truth_label_unique"
            )
        ]
        indexes = [
            models.Index(fields=["truth_set", "image"]),
            models.Index(fields=["label", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.truth_set_id}/{self.image_id}: {self.label_id} {self.status}"


class ReviewItem(models.Model):
    """A unique (image, predicted label) that no ground truth judges yet: the panel's work."""

    class State(models.TextChoices):
        OPEN = "open", "Open (collecting votes)"
        DISCUSSION = "discussion", "Discussion (no agreement)"
        DECIDED = "decided", "Decided"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="review_items")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(
        null=True, blank=True, help_text="Highest probability a model gave it as its top-1."
    )
    models_predicting = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    decision = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    category = models.CharField(max_length=24, choices=MistakeCategory.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "annotation_reviewitem"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["image", "label"], name="review_item_unique")
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"review {self.image_id}: {self.label_id}"


class ReviewVote(models.Model):
    """One reviewer's vote on an item. Never edited: a changed vote is a new row and the old
    one is marked superseded, so the whole history stays."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="votes")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_votes"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    category = models.CharField(max_length=24, choices=MistakeCategory.choices, blank=True)
    comment = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_reviewvote"
        ordering = ["item", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "reviewer"],
                condition=Q(superseded=False),
                name="review_vote_one_current",
            ),
            models.CheckConstraint(
                condition=Q(verdict="incorrect") | Q(severity="", category=""),
                name="review_vote_mistake_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id} on {self.item_id}: {self.verdict}"


class ProblemFlag(models.Model):
    """A reviewer marks an image problematic; such images are scored apart."""

    class Kind(models.TextChoices):
        DATASET_LABEL_WRONG = "dataset_label_wrong", "Dataset label wrong"
        DRAWING = "drawing", "Cartoon or drawing"
        EDITED = "edited", "Heavily edited"
        INAPPROPRIATE = "inappropriate", "Inappropriate"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="problem_flags")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_problemflag"
        constraints = [
            models.UniqueConstraint(
                fields=["image", "reviewer", "kind"], name="problem_flag_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.kind}"


class ClassGuide(models.Model):
    """The labeling guide's entry for a class: the panel's notes, editable while reviewing."""

    label = models.OneToOneField(LabelClass, on_delete=models.CASCADE, related_name="guide")
    notes = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "annotation_classguide"

    def __str__(self) -> str:
        return f"guide for {self.label_id}"


class EvaluationSlice(models.Model):
    """A named set of images to score on (for instance the major-mistakes slice)."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="How it was built.")
    images = models.ManyToManyField(Image, related_name="evaluation_slices", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_evaluationslice"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HumanSession(models.Model):
    """A labeller's run of human-accuracy mode: one label out of all classes per image."""

    name = models.SlugField(max_length=100, unique=True)
    labeller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="human_sessions"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    evaluation_slice = models.ForeignKey(
        EvaluationSlice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    examples = models.ForeignKey(
        Dataset,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The training split: example images per class and the training round's "
        "images; never the dataset measured.",
    )
    training_size = models.PositiveSmallIntegerField(
        default=0, help_text="Images of the training round (with feedback, not scored)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_humansession"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class HumanPick(models.Model):
    session = models.ForeignKey(HumanSession, on_delete=models.CASCADE, related_name="picks")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="+")
    duration_ms = models.PositiveIntegerField(help_text="Image shown to label picked.")
    training = models.BooleanField(
        default=False, help_text="A training-round pick: shown its answer, never scored."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_humanpick"
        ordering = ["session", "created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "image"], name="human_pick_once")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.image_id}: {self.label_id}"
