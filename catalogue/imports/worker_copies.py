"""Worker copies for images stored before there were any (`manage.py clean_images`).

Since worker copies exist, an import makes each image's copy without metadata (and a thumbnail
without the original's JPEG comment) as it stores the original. Images imported earlier have
neither: their worker_key is empty, and /img/ cleans their files as it serves them (slower, and
S3 serves them through the application instead of presigned URLs). This makes what the import
would have made, in worker processes like the import's, and is safe to stop and run again: it
only takes images whose worker_key is still empty, and each batch's rows are saved as it ends.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models import QuerySet

from catalogue.imports.processing import (
    Failed,
    Recleaned,
    StoredImage,
    reclean_batch,
)
from catalogue.imports.service import (
    CHUNK_SIZE,
    in_batches,
    local_store,
    s3_client_options,
    worker_count,
)
from catalogue.models import Image

BATCH_SIZE = 250  # rows an UPDATE transaction


@dataclass
class CleanReport:
    cleaned: int = 0
    copies: int = 0  # images whose original carried metadata: a copy was stored beside it
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)


def without_worker_copy(dataset: str | None = None) -> QuerySet[Image]:
    images = Image.objects.filter(worker_key="")
    return images.filter(dataset__name=dataset) if dataset else images


def _locator(key: str) -> str:
    """Where a worker process reads a stored file from: a path, or s3://bucket/key."""
    if isinstance(default_storage, FileSystemStorage):
        return default_storage.path(key)
    bucket = getattr(default_storage, "bucket_name", None)
    if not bucket:
        raise NotImplementedError(
            f"clean_images reads local folders and S3 buckets, not {type(default_storage)}"
        )
    location = getattr(default_storage, "location", "")
    return f"s3://{bucket}/{posixpath.join(location, key) if location else key}"


def _results(rows: list[StoredImage], workers: int) -> Iterable[Recleaned | Failed]:
    work = partial(
        reclean_batch,
        thumbnail_size=settings.FINELABEL_THUMBNAIL_SIZE,
        s3_options=s3_client_options(),
        store=local_store(),
    )
    return in_batches(work, rows, workers, CHUNK_SIZE)


def clean_images(
    images: QuerySet[Image],
    workers: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> CleanReport:
    """Make the worker copy and a clean thumbnail of every image in `images` (those without a
    worker copy: without_worker_copy()). `progress(n)` is called as n more are done."""
    report = CleanReport()
    fields = ("pk", "public_id", "storage_key", "thumbnail_key")
    rows = [
        StoredImage(pk, public_id, _locator(key), key, thumb)
        for pk, public_id, key, thumb in images.order_by("pk").values_list(*fields)
    ]
    pending: list[Image] = []

    def flush() -> None:
        with transaction.atomic():
            Image.objects.bulk_update(pending, ["worker_key", "width", "height"])
        report.cleaned += len(pending)
        pending.clear()

    by_pk = {row.pk: row for row in rows}
    for result in _results(rows, worker_count(workers)):
        progress(1)
        if isinstance(result, Failed):
            report.failed.append((result.locator, result.reason))
            continue
        row, key = by_pk[result.pk], result.worker_key
        if result.thumbnail is not None:  # not written by the worker (S3): store it here
            default_storage.save(row.thumbnail_key, ContentFile(result.thumbnail))
        if result.worker is not None:
            key = default_storage.save(key, ContentFile(result.worker))
        report.copies += key != row.storage_key
        pending.append(
            Image(pk=result.pk, worker_key=key, width=result.width, height=result.height)
        )
        if len(pending) >= BATCH_SIZE:
            flush()
    if pending:
        flush()
    return report
