"""The admin of the crowd's side: grids, CLASSIFY tasks, workers, assignments, answers."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.admin import ReadOnlyInline
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
from crowd.mturk import admin as mturk_admin  # noqa: F401  (registers the MTurk tables)


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
    list_display = [
        "id", "grid", "worker", "verification", "qc_status", "duration_ms", "submitted_at",
    ]  # fmt: skip
    list_filter = ["verification", "qc_status", "grid__campaign"]
    search_fields = ["worker__external_id", "assignment__external_id"]
    raw_id_fields = ["assignment", "grid", "worker"]


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
    list_display = [
        "id", "task", "worker", "main_label", "verification", "qc_status", "submitted_at",
    ]  # fmt: skip
    list_filter = ["verification", "qc_status", "task__campaign"]
    search_fields = ["worker__external_id", "assignment__external_id"]
    raw_id_fields = ["assignment", "task", "worker", "main_label"]
