"""Import images into a dataset: resolve labels, skip what is already there, process in
worker processes, store files under opaque keys and insert rows in batches.

Workers do all the per-image work: read, hash, decode, thumbnail, worker copy (the picture
without its metadata, stored only when the original has some) and, for local file storage,
write the files; the parent only inserts slim rows (for other storages, S3 included, it also
stores the bytes the workers send back, through Django's storage). The original is kept as
read, for the researcher; workers are only ever served the thumbnail and the worker copy.

Idempotent: an image already imported from the same source, or with the same bytes, is
skipped; storage keys derive from the content, so a re-run after a crash overwrites its own
files instead of leaving orphans.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.utils import timezone

from catalogue.imports.processing import Failed, LocalStore, Naming, Processed, process_batch
from catalogue.imports.sources import ImportItem
from catalogue.models import Dataset, Image, LabelClass
from pipeline.stages.statistics import analyze

T = TypeVar("T")
R = TypeVar("R")

BATCH_SIZE = 250  # rows a transaction: small, so the last one after the workers finish is short
CHUNK_SIZE = 8  # images a worker task


@dataclass
class ImportReport:
    offered: int = 0
    imported: int = 0
    already_imported: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (locator, same as)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (locator, reason)
    unknown_class: list[tuple[str, str]] = field(default_factory=list)  # (locator, label)

    @property
    def problems(self) -> int:
        return len(self.unreadable) + len(self.unknown_class)


def label_lookup() -> dict[str, int]:
    """Label keys a source may use (wnid or class index) -> LabelClass id."""
    lookup = {}
    for pk, wnid, index in LabelClass.objects.values_list("pk", "wnid", "index"):
        lookup[wnid] = pk
        lookup[str(index)] = pk
    return lookup


def naming_for(dataset: Dataset) -> Naming:
    return Naming(settings.SECRET_KEY.encode(), dataset.name)


def local_store() -> LocalStore | None:
    """Where workers may write files themselves: the folder of a local file storage. None for
    any other storage (S3...), whose files the parent stores through Django."""
    if not isinstance(default_storage, FileSystemStorage):
        return None
    return LocalStore(
        str(default_storage.location),
        default_storage.file_permissions_mode,
        default_storage.directory_permissions_mode,
    )


def s3_client_options() -> dict:
    options = {
        "endpoint_url": settings.AWS_S3_ENDPOINT_URL,
        "region_name": settings.AWS_S3_REGION_NAME,
    }
    return {k: v for k, v in options.items() if v}


def worker_count(requested: int | None) -> int:
    requested = requested if requested is not None else settings.FINELABEL_IMPORT_WORKERS
    return requested if requested and requested > 0 else (os.cpu_count() or 1)


def _processed_stream(
    locators: list[str], workers: int, naming: Naming
) -> Iterable[Processed | Failed]:
    work = partial(
        process_batch,
        naming=naming,
        thumbnail_size=settings.FINELABEL_THUMBNAIL_SIZE,
        s3_options=s3_client_options(),
        store=local_store(),
    )
    return in_batches(work, locators, workers, CHUNK_SIZE)


def in_batches(
    work: Callable[[list[T]], Iterable[R]], items: list[T], workers: int, size: int
) -> Iterator[R]:
    """`work` over `items` in batches of `size`: in this process when one worker (or one item)
    is all there is, else in a pool of forked workers, each batch's results as it ends."""
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    if workers <= 1 or len(items) < 2:
        for batch in batches:
            yield from work(batch)
        return
    # Forked workers inherit the parent's DB socket but never touch it, and leave through
    # os._exit, which closes nothing: the parent's connection (and transaction) stays intact.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for results in pool.imap_unordered(work, batches):
            yield from results


ROW_FIELDS = (
    "dataset",
    "public_id",
    "source",
    "label",
    "storage_key",
    "thumbnail_key",
    "worker_key",
    "sha256",
    "width",
    "height",
    "file_size",
    "imported_at",
)


def insert_image_rows(rows: list[tuple]) -> int:
    """Insert Image rows (values in ROW_FIELDS order) in one statement, skipping conflicts;
    returns how many were inserted. Plain SQL: building a model instance and preparing every
    field through the ORM costs the parent more than the insert itself, on every image."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(Image._meta.db_table)
    columns = ", ".join(quote(Image._meta.get_field(name).column) for name in ROW_FIELDS)
    sql = f"INSERT INTO {table} ({columns}) VALUES %s ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, sql, rows, page_size=len(rows))
        else:
            values = "(" + ", ".join(["%s"] * len(ROW_FIELDS)) + ")"
            cursor.executemany(sql.replace("%s", values), rows)
        return cursor.rowcount


class _Writer:
    """Collects rows (storing the files the workers did not) and inserts a batch at a time in
    one transaction."""

    def __init__(self, dataset: Dataset, report: ImportReport):
        self.dataset = dataset
        self.report = report
        self.pending: list[tuple] = []
        self.seen_sha = dict(Image.objects.filter(dataset=dataset).values_list("sha256", "source"))

    def add(self, result: Processed, label_id: int) -> None:
        if result.sha256 in self.seen_sha:
            self.report.duplicates.append((result.locator, self.seen_sha[result.sha256]))
            return
        self.seen_sha[result.sha256] = result.locator
        key, thumb_key, worker_key = result.storage_key, result.thumbnail_key, result.worker_key
        if result.data is not None:
            key = default_storage.save(key, ContentFile(result.data))
            thumb_key = default_storage.save(thumb_key, ContentFile(result.thumbnail))
            if result.worker is None:
                worker_key = key
            else:
                worker_key = default_storage.save(worker_key, ContentFile(result.worker))
        self.pending.append(
            (
                self.dataset.pk,
                result.public_id,
                result.locator,
                label_id,
                key,
                thumb_key,
                worker_key,
                result.sha256,
                result.width,
                result.height,
                result.file_size,
            )
        )
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            with transaction.atomic():
                self.report.imported += insert_image_rows([row + (now,) for row in self.pending])
            self.pending = []


def import_items(
    dataset: Dataset,
    items: Iterable[ImportItem],
    workers: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> ImportReport:
    """Import every item not already in the dataset. `progress(n)` is called as n more items
    are done (for a progress bar)."""
    report = ImportReport()
    labels = label_lookup()
    done_sources = set(Image.objects.filter(dataset=dataset).values_list("source", flat=True))
    label_of: dict[str, int] = {}
    for item in items:
        report.offered += 1
        if item.locator in done_sources:
            report.already_imported += 1
            progress(1)
        elif item.label_key not in labels:
            report.unknown_class.append((item.locator, item.label_key))
            progress(1)
        else:
            label_of[item.locator] = labels[item.label_key]
    writer = _Writer(dataset, report)
    stream = _processed_stream(list(label_of), worker_count(workers), naming_for(dataset))
    for result in stream:
        if isinstance(result, Failed):
            report.unreadable.append((result.locator, result.reason))
        else:
            writer.add(result, label_of[result.locator])
        progress(1)
    writer.flush()
    analyze([Image])  # a large import reads as such to the next query planned on it
    return report
