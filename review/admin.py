"""Admin of expert review and evaluation (imported by pipeline.admin)."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalogue.image_urls import thumbnail_url
from catalogue.models import Dataset
from pipeline.models import Campaign
from review.models import (
    ClassGuide,
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    TruthLabel,
)


def _links(pairs: list[tuple[str, str]]) -> str:
    return format_html_join(" · ", '<a href="{}">{}</a>', pairs)


def dataset_review_links(dataset: Dataset) -> str:
    """The dataset's review data in the admin, its scores (API) and its human sessions."""
    if dataset.pk is None:
        return "-"
    changelist = "admin:review_{}_changelist".format
    return _links(
        [
            (
                f"{reverse(changelist('reviewitem'))}?image__dataset__id__exact={dataset.pk}",
                "review items",
            ),
            (
                f"{reverse(changelist('truthlabel'))}?image__dataset__id__exact={dataset.pk}",
                "ground truth",
            ),
            (
                f"{reverse(changelist('humansession'))}?dataset__id__exact={dataset.pk}",
                "human sessions",
            ),
            (f"{reverse('score-list')}?dataset={dataset.pk}", "scores"),
        ]
    )


def campaign_review_links(campaign: Campaign) -> list[tuple[str, str]]:
    if campaign.pk is None:
        return []
    return [
        (f"{reverse('dashboard', args=[campaign.pk])}#review", "dashboard section"),
        (reverse("review-next"), "review next item"),
        (reverse("review-discussion"), "discussion queue"),
        (
            f"{reverse('admin:review_groundtruthset_changelist')}"
            f"?campaign__id__exact={campaign.pk}",
            "crowd ground truth",
        ),
        (
            f"{reverse('campaign-ground-truth-export', args=[campaign.pk])}?format=csv",
            "export ground truth",
        ),
        (f"{reverse('campaign-reviews-export', args=[campaign.pk])}?format=csv", "export votes"),
    ]


def review_links(campaign: Campaign) -> str:
    """Links from a campaign to the review screens, its scores and the review exports."""
    pairs = campaign_review_links(campaign)
    if not pairs:
        return "-"
    return format_html("{} · {}", _links(pairs), dataset_review_links(campaign.dataset))


@admin.register(GroundTruthSet)
class GroundTruthSetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "exhaustive", "campaign", "label_count", "updated_at"]
    list_filter = ["kind", "exhaustive"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_labels=Count("labels"))

    @admin.display(ordering="_labels", description="labels")
    def label_count(self, obj) -> int:
        return obj._labels


@admin.register(TruthLabel)
class TruthLabelAdmin(admin.ModelAdmin):
    list_display = ["truth_set", "image", "label", "status"]
    list_filter = ["truth_set", "status", "image__dataset"]
    search_fields = ["image__public_id", "image__source", "label__name", "label__wnid"]
    raw_id_fields = ["image", "label"]
    list_select_related = ["truth_set", "image", "label"]


class ReviewVoteInline(admin.TabularInline):
    model = ReviewVote
    extra = 0
    can_delete = False
    fields = ["reviewer", "verdict", "severity", "category", "comment", "superseded", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["id", "thumb", "label", "score", "state", "decision", "severity", "category"]
    list_filter = ["state", "decision", "severity", "category", "image__dataset"]
    search_fields = ["image__public_id", "label__name", "label__wnid"]
    raw_id_fields = ["image", "label"]
    list_select_related = ["image", "label"]
    readonly_fields = ["state", "decision", "severity", "category", "decided_at", "open_screen"]
    inlines = [ReviewVoteInline]

    @admin.display(description="image")
    def thumb(self, obj) -> str:
        return format_html('<img src="{}" style="max-height:48px">', thumbnail_url(obj.image))

    @admin.display(description="review screen")
    def open_screen(self, obj) -> str:
        return format_html('<a href="{}">open</a>', reverse("review-item", args=[obj.pk]))


@admin.register(ReviewVote)
class ReviewVoteAdmin(admin.ModelAdmin):
    list_display = [
        "item",
        "reviewer",
        "verdict",
        "severity",
        "category",
        "superseded",
        "created_at",
    ]
    list_filter = ["verdict", "severity", "category", "superseded", "reviewer"]
    raw_id_fields = ["item"]
    readonly_fields = [f.name for f in ReviewVote._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # votes come from the review screens, where the panel is recomputed


@admin.register(ProblemFlag)
class ProblemFlagAdmin(admin.ModelAdmin):
    list_display = ["image", "kind", "reviewer", "created_at"]
    list_filter = ["kind", "reviewer"]
    search_fields = ["image__public_id"]
    raw_id_fields = ["image"]


@admin.register(ClassGuide)
class ClassGuideAdmin(admin.ModelAdmin):
    list_display = ["label", "updated_by", "updated_at"]
    search_fields = ["label__name", "label__wnid", "notes"]
    raw_id_fields = ["label"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(EvaluationSlice)
class EvaluationSliceAdmin(admin.ModelAdmin):
    list_display = ["name", "image_count", "created_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["params"]
    filter_horizontal = ["images"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_images=Count("images"))

    @admin.display(ordering="_images", description="images")
    def image_count(self, obj) -> int:
        return obj._images


class HumanPickInline(admin.TabularInline):
    model = HumanPick
    extra = 0
    can_delete = False
    fields = ["image", "label", "duration_ms", "training", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HumanSession)
class HumanSessionAdmin(admin.ModelAdmin):
    list_display = ["name", "labeller", "dataset", "evaluation_slice", "pick_count", "created_at"]
    list_filter = ["dataset", "labeller"]
    search_fields = ["name"]
    inlines = [HumanPickInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_picks=Count("picks"))

    @admin.display(ordering="_picks", description="picks")
    def pick_count(self, obj) -> int:
        return obj._picks


@admin.register(HumanPick)
class HumanPickAdmin(admin.ModelAdmin):
    list_display = ["session", "image", "label", "duration_ms", "training", "created_at"]
    list_filter = ["session", "training"]
    raw_id_fields = ["image", "label"]
