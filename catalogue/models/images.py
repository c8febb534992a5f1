"""Datasets and their images."""

import secrets

from django.db import models

from catalogue.models.classes import LabelClass


def new_public_id() -> str:
    """An opaque, unguessable id: the only handle on an image that leaves the server."""
    return secrets.token_urlsafe(16)


class Dataset(models.Model):
    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_dataset"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    """An image with its dataset label. Files live in storage under opaque keys."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="images")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    source = models.CharField(
        max_length=1000, help_text="Where it was imported from (path, URL or S3 key); server-side."
    )
    label = models.ForeignKey(LabelClass, on_delete=models.PROTECT, related_name="images")
    storage_key = models.CharField(max_length=200, help_text="The original, as imported.")
    thumbnail_key = models.CharField(max_length=200)
    worker_key = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="What workers are served: the picture without its metadata (the storage key "
        "itself when the original carries none); empty until made (manage.py clean_images).",
    )
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(help_text="As shown: after its EXIF orientation.")
    height = models.PositiveIntegerField()
    file_size = models.PositiveIntegerField(help_text="Bytes of the stored original.")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "annotation_image"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source"], name="image_unique_source"),
            models.UniqueConstraint(fields=["dataset", "sha256"], name="image_unique_content"),
            models.CheckConstraint(
                condition=models.Q(width__gt=0, height__gt=0), name="image_positive_size"
            ),
        ]
        indexes = [models.Index(fields=["dataset", "label"])]

    def __str__(self) -> str:
        return f"{self.dataset}:{self.public_id}"
