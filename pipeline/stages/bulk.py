"""Fast inserts for the large tables of a stage (grid items, selections, candidates).

On PostgreSQL rows go in through COPY, several times faster than INSERT for hundreds of
thousands of rows; elsewhere (the embedded SQLite default) through bulk_create. Rows bypass
model defaults and save(): the caller gives every NOT NULL column."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

BATCH = 5000


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (tuples in the order of `columns`, attribute names such as 'grid_id')
    into `model`'s table; returns how many. No ids come back."""
    if connection.vendor == "postgresql":
        return _copy(model, columns, rows)
    objs = (model(**dict(zip(columns, row, strict=True))) for row in rows)
    count = 0
    batch: list[models.Model] = []
    for obj in objs:
        batch.append(obj)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    model.objects.bulk_create(batch)
    return count + len(batch)


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    meta = model._meta
    names = ", ".join(connection.ops.quote_name(_column(meta, c)) for c in columns)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN WITH (FORMAT csv)"
    count = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        for row in rows:
            buffer.write(",".join(_csv(value) for value in row))
            buffer.write("\n")
            count += 1
            if count % 100_000 == 0:
                _flush(cursor, sql, buffer)
                buffer = io.StringIO()
        _flush(cursor, sql, buffer)
    return count


def _flush(cursor: Any, sql: str, buffer: io.StringIO) -> None:
    if buffer.tell():
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)


def _column(meta: Any, name: str) -> str:
    """The table column of a field given by name or attribute name ('grid' or 'grid_id')."""
    try:
        return meta.get_field(name).column
    except FieldDoesNotExist:
        return meta.get_field(name.removesuffix("_id")).column


def _csv(value: Any) -> str:
    """One CSV field as PostgreSQL's COPY reads it: unquoted empty is NULL."""
    if value is None:
        return ""
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    text = str(value)
    return '"' + text.replace('"', '""') + '"'
