"""The admin of campaigns, their stage runs and every stage's output."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyInline
from crowd.mturk.admin import mturk_figures
from pipeline.models import (
    Campaign,
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    ModelPrediction,
    PotentialLabel,
    SelectionFrequency,
    StageRun,
)


class StageRunInline(ReadOnlyInline):
    model = StageRun
    fields = ["stage", "status", "done", "total", "started_at", "finished_at", "message"]
    readonly_fields = fields


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "dataset", "state", "ensemble", "created_at", "dashboard", "review"]
    list_filter = ["state", "dataset"]
    search_fields = ["name"]
    inlines = [StageRunInline]
    fieldsets = [
        (None, {"fields": ["name", "dataset", "state", "seed", "owner"]}),
        ("Potential labels", {"fields": ["ensemble", "top_k", "potential_labels_per_image"]}),
        (
            "CONTAINS",
            {
                "fields": [
                    "grid_size",
                    "min_controls",
                    "contains_assignments",
                    "contains_reward",
                    "qc_worker_control_rate",
                    "qc_worker_bad_grid_share",
                    "qc_grid_control_rate",
                    "qc_min_worker_accuracy",
                    "dawid_skene_with_model",
                ]
            },
        ),
        (
            "Candidates and inclusion",
            {
                "fields": [
                    "candidate_sf_threshold",
                    "candidate_wordnet_distance",
                    "candidate_min",
                    "candidate_max",
                    "candidate_dataset_sf_floor",
                    "easy_min_answers",
                    "easy_ratio",
                ]
            },
        ),
        (
            "CLASSIFY",
            {
                "fields": [
                    "classify_assignments",
                    "classify_reward",
                    "classify_qc_worker_flagged_share",
                ]
            },
        ),
        ("Mechanical Turk", {"fields": ["mturk_budget", "mturk"]}),
        ("Expert review and evaluation", {"fields": ["review"]}),
    ]
    readonly_fields = ["mturk", "potential_labels_per_image", "review"]

    @admin.display(description="expert review")
    def review(self, obj) -> str:
        from review.admin import review_links

        return review_links(obj)

    @admin.display(description="MTurk figures")
    def mturk(self, obj) -> str:
        return mturk_figures(obj)

    @admin.display(description="dashboard")
    def dashboard(self, obj) -> str:
        return format_html('<a href="{}">dashboard</a>', reverse("dashboard", args=[obj.pk]))

    @admin.display(description="potential labels per image")
    def potential_labels_per_image(self, obj) -> str:
        """The paper's figure 11 as a small table (the dashboard draws it), with the top-k it
        was built from, and a warning when its predictions come from random weights."""
        from pipeline.selectors import (
            RANDOM_WEIGHTS_NOTE,
            potential_label_histogram,
            potential_labels_source,
        )

        if obj.pk is None:
            return "-"
        histogram = potential_label_histogram(obj)
        if not histogram.images:
            return "None yet: run manage.py potential_labels --campaign " + str(obj.pk)
        source = potential_labels_source(obj)
        warning = (
            format_html('<p class="random-weights"><strong>{}</strong></p>', RANDOM_WEIGHTS_NOTE)
            if source.random_weights
            else ""
        )
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", histogram.rows())
        return format_html(
            "{}<table><tr><th>labels</th><th>images</th></tr>{}</table>"
            "<p>mean {}, median {}, {} images; union of the models' top-{} predictions and "
            "the dataset label</p>",
            warning,
            rows,
            f"{histogram.mean:.2f}",
            f"{histogram.median:g}",
            histogram.images,
            source.top_k,
        )


@admin.register(StageRun)
class StageRunAdmin(admin.ModelAdmin):
    list_display = ["campaign", "stage", "status", "progress_bar", "started_at", "finished_at"]
    list_filter = ["stage", "status", "campaign"]
    readonly_fields = [f.name for f in StageRun._meta.fields]

    @admin.display(description="progress")
    def progress_bar(self, obj) -> str:
        return format_html(
            '<progress value="{}" max="{}"></progress> {} / {}',
            obj.done,
            obj.total or 1,
            obj.done,
            obj.total,
        )


@admin.register(ModelPrediction)
class ModelPredictionAdmin(admin.ModelAdmin):
    list_display = ["image", "model_name", "random_weights", "weights", "labels", "created_at"]
    list_filter = ["model_name", "random_weights"]
    search_fields = ["image__public_id", "model_name"]
    raw_id_fields = ["image"]


@admin.register(PotentialLabel)
class PotentialLabelAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "label", "is_dataset_label", "model_count"]
    list_filter = ["campaign", "is_dataset_label"]
    search_fields = ["image__public_id", "label__name"]
    raw_id_fields = ["image", "label", "run"]
    list_select_related = ["campaign", "image", "label"]


@admin.register(SelectionFrequency)
class SelectionFrequencyAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "label", "selected", "answers", "frequency"]
    list_filter = ["campaign"]
    search_fields = ["image__public_id", "label__name"]
    raw_id_fields = ["image", "label", "run"]


@admin.register(CandidateLabel)
class CandidateLabelAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "rank", "label", "rule"]
    list_filter = ["campaign", "rule"]
    search_fields = ["image__public_id", "label__name"]
    raw_id_fields = ["image", "label", "run"]


@admin.register(ImageInclusion)
class ImageInclusionAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "category"]
    list_filter = ["campaign", "category"]
    search_fields = ["image__public_id"]
    raw_id_fields = ["image", "run"]


class ImageObjectInline(ReadOnlyInline):
    model = ImageObject
    fields = ["index", "label"]
    readonly_fields = fields


@admin.register(ImageLabels)
class ImageLabelsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "main_label", "num_objects", "answers"]
    list_filter = ["campaign", "num_objects"]
    search_fields = ["image__public_id", "main_label__name"]
    raw_id_fields = ["image", "main_label", "run"]
    inlines = [ImageObjectInline]


class ImageObjectLabelInline(ReadOnlyInline):
    model = ImageObjectLabel
    fields = ["label", "share", "selection_frequency"]
    readonly_fields = fields


@admin.register(ImageObject)
class ImageObjectAdmin(admin.ModelAdmin):
    list_display = ["image_labels", "index", "label"]
    raw_id_fields = ["image_labels", "label"]
    inlines = [ImageObjectLabelInline]
