"""The admin of the class catalogue, the datasets and their images."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from catalogue.image_urls import image_url, original_url, thumbnail_url
from catalogue.models import Dataset, Image, LabelClass, Superclass


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
        "files",
        "storage_key",
        "thumbnail_key",
        "worker_key",
        "sha256",
        "width",
        "height",
        "file_size",
    ]

    @admin.display(description="image")
    def thumb(self, obj) -> str:
        return format_html('<img src="{}" style="max-height:64px">', thumbnail_url(obj))

    @admin.display(description="files")
    def files(self, obj) -> str:
        """The original as imported (metadata included: for the researcher only) and what
        workers are served."""
        return format_html(
            '<a href="{}">original</a> · <a href="{}">as workers see it</a>',
            original_url(obj),
            image_url(obj),
        )
