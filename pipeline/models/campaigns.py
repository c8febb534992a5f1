"""Campaigns: one run of the pipeline over a dataset, with every parameter of the method."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalogue.models.images import Dataset
from pipeline.params import PAPER, CampaignParams

UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]
POSITIVE = [MinValueValidator(1)]


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        POTENTIAL_LABELS = "potential_labels", "Potential labels"
        CONTAINS = "contains", "CONTAINS"
        CANDIDATES = "candidates", "Candidate labels"
        CLASSIFY = "classify", "CLASSIFY"
        AGGREGATION = "aggregation", "Aggregation"
        DONE = "done", "Done"

    name = models.CharField(max_length=200, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="campaigns")
    state = models.CharField(max_length=32, choices=State.choices, default=State.DRAFT)
    seed = models.IntegerField(default=0, help_text="Seed for grid packing and shuffles.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        help_text="Who may read it through the API besides staff (none: staff only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Parameters of the method; defaults are the paper's (pipeline.params.PAPER).
    ensemble = models.CharField(max_length=100, default=PAPER.ensemble)
    top_k = models.PositiveSmallIntegerField(default=PAPER.top_k, validators=POSITIVE)
    grid_size = models.PositiveSmallIntegerField(default=PAPER.grid_size, validators=POSITIVE)
    min_controls = models.PositiveSmallIntegerField(default=PAPER.min_controls)
    contains_assignments = models.PositiveSmallIntegerField(
        default=PAPER.contains_assignments, validators=POSITIVE
    )
    contains_reward = models.DecimalField(
        max_digits=6, decimal_places=2, default=PAPER.contains_reward
    )
    qc_worker_control_rate = models.FloatField(
        default=PAPER.qc_worker_control_rate, validators=UNIT
    )
    qc_worker_bad_grid_share = models.FloatField(
        default=PAPER.qc_worker_bad_grid_share, validators=UNIT
    )
    qc_grid_control_rate = models.FloatField(default=PAPER.qc_grid_control_rate, validators=UNIT)
    qc_min_worker_accuracy = models.FloatField(
        null=True,
        blank=True,
        validators=UNIT,
        help_text="Also drop workers whose Dawid-Skene accuracy (mean of sensitivity and "
        "specificity, 0.5 = random) is under this; blank: the paper's control rules only.",
    )
    candidate_sf_threshold = models.FloatField(
        default=PAPER.candidate_sf_threshold, validators=UNIT
    )
    candidate_wordnet_distance = models.PositiveSmallIntegerField(
        default=PAPER.candidate_wordnet_distance
    )
    candidate_min = models.PositiveSmallIntegerField(default=PAPER.candidate_min)
    candidate_max = models.PositiveSmallIntegerField(default=PAPER.candidate_max)
    candidate_dataset_sf_floor = models.FloatField(
        default=PAPER.candidate_dataset_sf_floor, validators=UNIT
    )
    easy_min_answers = models.PositiveSmallIntegerField(default=PAPER.easy_min_answers)
    easy_ratio = models.FloatField(default=PAPER.easy_ratio, validators=[MinValueValidator(1.0)])
    classify_assignments = models.PositiveSmallIntegerField(
        default=PAPER.classify_assignments, validators=POSITIVE
    )
    classify_reward = models.DecimalField(
        max_digits=6, decimal_places=2, default=PAPER.classify_reward
    )
    classify_qc_worker_flagged_share = models.FloatField(
        default=PAPER.classify_qc_worker_flagged_share, validators=UNIT
    )
    dawid_skene_with_model = models.BooleanField(
        default=PAPER.dawid_skene_with_model,
        help_text="Dawid-Skene stage: also a fit with the ensemble as one more voter (the "
        "crowd-only probability stays beside it).",
    )
    # Adaptive collection: each task is published with the minimum and gets more answers, up
    # to contains_assignments / classify_assignments, only while its outcome is not settled.
    # None keeps the paper's fixed design (every task gets the maximum at once).
    contains_min_assignments = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text="Answers each grid is published with (adaptive); blank: all at once.",
    )
    classify_min_assignments = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=POSITIVE,
        help_text="Answers each CLASSIFY task is published with (adaptive); blank: all at once.",
    )
    # Lifecycle beside the stage state: a paused campaign publishes nothing and its pages take
    # no answers until resumed; a closed one takes none again.
    paused_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Mechanical Turk: the most this campaign may cost, rewards, bonuses and fees included.
    mturk_budget = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Budget cap in USD (rewards, bonuses and MTurk fees). Live publishing needs one.",
    )

    class Meta:
        db_table = "annotation_campaign"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_controls__lt=models.F("grid_size")),
                name="campaign_controls_below_grid_size",
            ),
            models.CheckConstraint(
                condition=models.Q(candidate_min__lte=models.F("candidate_max")),
                name="campaign_candidate_min_le_max",
            ),
            models.CheckConstraint(
                condition=models.Q(contains_min_assignments__isnull=True)
                | models.Q(contains_min_assignments__lte=models.F("contains_assignments")),
                name="campaign_contains_min_le_max",
            ),
            models.CheckConstraint(
                condition=models.Q(classify_min_assignments__isnull=True)
                | models.Q(classify_min_assignments__lte=models.F("classify_assignments")),
                name="campaign_classify_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse an ensemble that is not registered (the admin's and the campaign page's
        forms), instead of stage 1 failing on it later."""
        from models_zoo.registry import known_ensembles  # timm: imported only when checked

        if self.ensemble not in known_ensembles():
            known = ", ".join(known_ensembles())
            raise ValidationError(
                {"ensemble": f"Unknown model ensemble {self.ensemble!r}: choose one of {known}."}
            )

    @property
    def params(self) -> CampaignParams:
        return CampaignParams.from_object(self)


class StageRun(models.Model):
    """One run of one stage: its parameters, code version, progress and outcome. Every stored
    result of a stage points at the run that produced it."""

    class Stage(models.TextChoices):
        POTENTIAL_LABELS = "potential_labels", "Potential labels"
        GRIDS = "grids", "Grids"
        CONTAINS_QC = "contains_qc", "CONTAINS quality control"
        SELECTION_FREQUENCIES = "selection_frequencies", "Selection frequencies"
        DAWID_SKENE = "dawid_skene", "Dawid-Skene probabilities"
        CANDIDATES = "candidates", "Candidate sets"
        INCLUSION = "inclusion", "Inclusion"
        CLASSIFY_TASKS = "classify_tasks", "CLASSIFY tasks"
        CLASSIFY_QC = "classify_qc", "CLASSIFY quality control"
        AGGREGATION = "aggregation", "Aggregation"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    stage = models.CharField(max_length=32, choices=Stage.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    params = models.JSONField(default=dict)
    code_version = models.CharField(max_length=64, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life of the process running it (pipeline/stages/runs.py); a "
        "running run silent for FINELABEL_STAGE_RUN_STALE_AFTER is marked failed.",
    )

    class Meta:
        db_table = "annotation_stagerun"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["campaign", "stage"])]

    def __str__(self) -> str:
        return f"{self.campaign} {self.stage} ({self.status})"

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 0.0
