"""The researcher's admin: every table of the pipeline with lists, filters and search."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalogue.image_urls import thumbnail_url
from catalogue.models import Dataset, Image, LabelClass, Superclass
from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyOption,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    Worker,
)
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


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Superclass)
class SuperclassAdmin(admin.ModelAdmin):
    list_display = ["name", "class_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_classes=Count("classes"))

    @admin.display(ordering="_classes", description="classes")
    def class_count(self, obj) -> int:
        return obj._classes


@admin.register(LabelClass)
class LabelClassAdmin(admin.ModelAdmin):
    list_display = ["index", "wnid", "name", "superclass", "wikipedia"]
    list_filter = ["superclass"]
    search_fields = ["=index", "wnid", "name", "synonyms", "gloss"]
    list_select_related = ["superclass"]
    readonly_fields = ["hypernym_path", "hypernym_distances"]

    @admin.display(description="Wikipedia")
    def wikipedia(self, obj) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">link</a>', obj.wikipedia_url
        )


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "image_count", "created_at", "review"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_images=Count("images"))

    @admin.display(ordering="_images", description="images")
    def image_count(self, obj) -> int:
        return obj._images

    @admin.display(description="expert review")
    def review(self, obj) -> str:
        from review.admin import dataset_review_links

        return dataset_review_links(obj)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["public_id", "thumb", "dataset", "label", "width", "height", "imported_at"]
    list_filter = ["dataset", "label__superclass"]
    search_fields = ["public_id", "source", "sha256", "label__name", "label__wnid"]
    list_select_related = ["dataset", "label"]
    raw_id_fields = ["label"]
    readonly_fields = [
        "public_id",
        "thumb",
        "storage_key",
        "thumbnail_key",
        "sha256",
        "width",
        "height",
        "file_size",
    ]

    @admin.display(description="image")
    def thumb(self, obj) -> str:
        return format_html('<img src="{}" style="max-height:64px">', thumbnail_url(obj))


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


class GridItemInline(ReadOnlyInline):
    model = GridItem
    fields = ["position", "image", "is_control"]
    readonly_fields = fields


@admin.register(ContainsGrid)
class ContainsGridAdmin(admin.ModelAdmin):
    list_display = ["campaign", "number", "query", "item_count", "answer_count"]
    list_filter = ["campaign"]
    search_fields = ["query__name", "public_id"]
    raw_id_fields = ["query", "run"]
    inlines = [GridItemInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("campaign", "query")
        return qs.annotate(
            _items=Count("items", distinct=True), _answers=Count("answers", distinct=True)
        )

    @admin.display(ordering="_items", description="items")
    def item_count(self, obj) -> int:
        return obj._items

    @admin.display(ordering="_answers", description="answers")
    def answer_count(self, obj) -> int:
        return obj._answers


def _per_worker_count(queryset, field: str = "worker") -> Coalesce:
    """COUNT of `queryset` rows per worker, as a subquery on the Worker list."""
    rows = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "source",
        "blocked",
        "contains_count",
        "control_accuracy",
        "contains_dropped_share",
        "classify_count",
    ]
    list_filter = ["source", "blocked"]
    search_fields = ["external_id"]

    def get_queryset(self, request):
        worker = OuterRef("pk")
        answers = ContainsAnswer.objects.filter(worker=worker)
        checked = answers.exclude(qc_status=QcStatus.PENDING)
        dropped = checked.exclude(qc_status=QcStatus.KEPT)
        found = ContainsSelection.objects.filter(answer__worker=worker, item__is_control=True)
        shown = GridItem.objects.filter(is_control=True, grid__answers__worker=worker)
        return (
            super()
            .get_queryset(request)
            .annotate(
                _contains=_per_worker_count(answers),
                _classify=Count("classify_answers", distinct=True),
                _controls_found=_per_worker_count(found, "answer__worker"),
                _controls_shown=_per_worker_count(shown, "grid__answers__worker"),
                _checked=_per_worker_count(checked),
                _dropped=_per_worker_count(dropped),
            )
        )

    @admin.display(description="control accuracy")
    def control_accuracy(self, obj) -> str:
        """Controls selected / controls shown, over all the worker's CONTAINS answers."""
        if not obj._controls_shown:
            return "-"
        return f"{obj._controls_found / obj._controls_shown:.0%} of {obj._controls_shown}"

    @admin.display(ordering="_dropped", description="dropped by QC")
    def contains_dropped_share(self, obj) -> str:
        """Share of the worker's checked CONTAINS answers that quality control dropped."""
        if not obj._checked:
            return "-"
        return f"{obj._dropped / obj._checked:.0%} of {obj._checked}"

    @admin.display(ordering="_contains", description="CONTAINS answers")
    def contains_count(self, obj) -> int:
        return obj._contains

    @admin.display(ordering="_classify", description="CLASSIFY answers")
    def classify_count(self, obj) -> int:
        return obj._classify


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["external_id", "campaign", "kind", "worker", "status", "submitted_at"]
    list_filter = ["campaign", "kind", "status"]
    search_fields = ["external_id", "hit_id", "worker__external_id"]
    raw_id_fields = ["grid", "classify_task", "worker"]


@admin.register(ContainsAnswer)
class ContainsAnswerAdmin(admin.ModelAdmin):
    list_display = ["id", "grid", "worker", "qc_status", "duration_ms", "submitted_at"]
    list_filter = ["qc_status", "grid__campaign"]
    search_fields = ["worker__external_id", "assignment__external_id"]
    raw_id_fields = ["assignment", "grid", "worker"]


@admin.register(SelectionFrequency)
class SelectionFrequencyAdmin(admin.ModelAdmin):
    list_display = ["campaign", "image", "label", "selected", "answers", "frequency"]
    list_filter = ["campaign"]
    search_fields = ["image__public_id", "label__name"]
    raw_id_fields = ["image", "label", "run"]


class ClassifyOptionInline(ReadOnlyInline):
    model = ClassifyOption
    fields = ["position", "label"]
    readonly_fields = fields


@admin.register(ClassifyTask)
class ClassifyTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "campaign", "image", "public_id"]
    list_filter = ["campaign"]
    search_fields = ["image__public_id", "public_id"]
    raw_id_fields = ["image", "run"]
    inlines = [ClassifyOptionInline]


@admin.register(ClassifyAnswer)
class ClassifyAnswerAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "worker", "main_label", "qc_status", "submitted_at"]
    list_filter = ["qc_status", "task__campaign"]
    search_fields = ["worker__external_id", "assignment__external_id"]
    raw_id_fields = ["assignment", "task", "worker", "main_label"]


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
