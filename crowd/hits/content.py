"""The part of a HIT page that is the same for every worker: the task itself (a grid's query
and 48 pictures, a CLASSIFY task's image and options), rendered once and kept a few minutes.

A HIT page is what the crowd loads most: each task by nine workers, their previews and their
reloads. Reading the task and rendering it (for a grid, 48 cells with 96 signed URLs) is most
of a page's cost, and the same for all of them; the worker's own part (mode, token, MTurk
parameters) stays per request. What is kept holds no worker's ids and no token, only what
every worker of the task sees. It is kept at two levels (crowd.caching): in each web process,
and in the shared cache when there is one, so that a task is rendered once for all the web
processes. Its signed image URLs are then at most ten minutes older than the page, far inside
their lifetime (FINELABEL_IMAGE_URL_MAX_AGE). A task does not change while it can be answered
(grids and CLASSIFY tasks with assignments are never rebuilt; a rebuilt one has a new public
id), so a kept entry is never wrong, only a few minutes older.

Pictures are shown through task handles (catalogue.image_urls.task_image_urls): the same
picture has unrelated URLs in two tasks, so the pages of many grids tell nothing about which
pictures recur (controls do). A grid is also kept without its pictures (`closed_html`), for
pages that cannot be answered (MTurk's preview, a worker who already answered a grid of the
same query with some of the same pictures, a closed campaign): a picture a worker sees is one
they may answer about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalogue.image_urls import FULL, THUMBNAIL, task_image_url, task_image_urls
from catalogue.models import LabelClass
from crowd.caching import kept_or_made
from crowd.models import ClassifyTask, ContainsGrid

LABEL_FIELDS = ("name", "synonyms", "gloss", "wikipedia_url")  # what describe() reads


@dataclass(frozen=True)
class TaskContent:
    title: str
    html: SafeString
    # The same without the task's pictures, for a page that cannot be answered.
    closed_html: SafeString | None = None

    def for_page(self, can_submit: bool) -> SafeString:
        if can_submit or self.closed_html is None:
            return self.html
        return self.closed_html


def describe(label: LabelClass) -> dict[str, Any]:
    """What a worker reads about a class: its words, gloss and Wikipedia page. Nothing else
    (no wnid, no index)."""
    return {
        "name": label.name,
        "synonyms": [s for s in label.synonyms if s != label.name],
        "gloss": label.gloss,
        "wikipedia_url": label.wikipedia_url,
    }


def contains_content(public_id: str) -> TaskContent:
    """The grid's query and pictures (Http404 for an unknown grid, which is not kept)."""
    return _cached("contains", public_id, _render_contains)


def classify_content(public_id: str) -> TaskContent:
    """The CLASSIFY task's image and options (Http404 for an unknown task)."""
    return _cached("classify", public_id, _render_classify)


def _cached(
    kind: str, public_id: str, render: Callable[[str], tuple[str, str, str | None]]
) -> TaskContent:
    title, html, closed = kept_or_made(
        f"hit-content:v2:{kind}:{public_id}", lambda: render(public_id)
    )
    # Our own template's output, kept as a plain string by the cache.
    return TaskContent(
        title,
        mark_safe(html),  # noqa: S308
        None if closed is None else mark_safe(closed),  # noqa: S308
    )


def _render_contains(public_id: str) -> tuple[str, str, str]:
    grids = ContainsGrid.objects.select_related("query").only(
        *(f"query__{name}" for name in LABEL_FIELDS)
    )
    grid = get_object_or_404(grids, public_id=public_id)
    # Plain values, not 48 Image objects.
    items = list(grid.items.order_by("position").values_list("position", "image__public_id"))
    scope = f"contains:{public_id}"
    thumbs = task_image_urls(scope, (i[1] for i in items), THUMBNAIL)
    fulls = task_image_urls(scope, (i[1] for i in items), FULL)
    cells = [
        # Text, not int: the template localizes every int it prints, 96 times per page.
        {"position": str(item[0]), "number": str(n), "thumb": thumb, "full": full}
        for n, (item, thumb, full) in enumerate(zip(items, thumbs, fulls, strict=True), start=1)
    ]
    query = describe(grid.query)
    context = {"query": query, "cells": cells, "count": str(len(cells))}
    html = render_to_string("hits/_contains_task.html", context)
    closed = render_to_string("hits/_contains_task.html", {**context, "cells": []})
    return query["name"], str(html), str(closed)


def _render_classify(public_id: str) -> tuple[str, str, None]:
    task = get_object_or_404(ClassifyTask.objects.select_related("image"), public_id=public_id)
    options = (
        task.options.select_related("label")
        .only("position", "task", *(f"label__{name}" for name in LABEL_FIELDS))
        .order_by("position")
    )
    context = {
        "image": {
            "url": task_image_url(f"classify:{public_id}", task.image.public_id),
            "width": task.image.width,
            "height": task.image.height,
        },
        "options": [{"position": o.position, **describe(o.label)} for o in options],
    }
    return "", str(render_to_string("hits/_classify_task.html", context)), None
