"""The HIT pages and their submit endpoints. Thin: a task's content comes from
crowd.hits.content, answers are written by crowd.services.answers."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape, json_script
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from core.http import error_response
from crowd.caching import KEPT_SECONDS
from crowd.hits.access import PageAccess, page_access, page_token, read_page_token
from crowd.hits.content import TaskContent, classify_content, contains_content
from crowd.hits.framing import mturk_frameable
from crowd.models import Assignment, Worker
from crowd.services.answers import Stored, submit_classify, submit_contains
from crowd.services.invites import next_invite
from crowd.services.submission_input import SubmissionError, Submitter

CONTAINS = Assignment.Kind.CONTAINS
CLASSIFY = Assignment.Kind.CLASSIFY
MAX_BODY_BYTES = 64 * 1024


def page_config(kind: str, public_id: str, access: PageAccess) -> dict[str, Any]:
    """The page's JSON settings (read by crowd/static/hits/hit.js, and by programs answering
    through HTTP, such as the crowd simulator)."""
    config: dict[str, Any] = {
        "kind": kind,
        "mode": access.mode,
        "can_submit": access.can_submit,
        "reason": access.reason,
        "submit_url": reverse(f"hit-{kind}-submit", args=[public_id]),
        "turk_submit_to": access.turk_submit_to,
    }
    if access.submitter is not None:
        config["token"] = page_token(kind, public_id, access.submitter)
        config["assignment_id"] = access.submitter.assignment_id
    return config


@require_safe  # GET, and HEAD for link checkers and probes
@mturk_frameable
def contains_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _page(request, CONTAINS, public_id, contains_content(public_id))


@require_safe
@mturk_frameable
def classify_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _page(request, CLASSIFY, public_id, classify_content(public_id))


def _page(request: HttpRequest, kind: str, public_id: str, task: TaskContent) -> HttpResponse:
    """The task's kept content (crowd.hits.content) and this worker's config, in the
    kept page frame of this kind and access."""
    access = page_access(request, kind, public_id)
    if request.method == "HEAD":
        # The page's status and headers without its body, which WSGI servers would send.
        return HttpResponse()
    fill = {
        TITLE_SLOT: conditional_escape(task.title),  # as the template's autoescape would
        TASK_SLOT: task.for_page(access.can_submit),
        CONFIG_SLOT: json_script(page_config(kind, public_id, access), "hit-config"),
    }
    return HttpResponse("".join([fill.get(part, part) for part in _frame(kind, access)]))


# The page template around the task is the same for every task of a kind and every worker
# with the same access (mode, reason, whether they can submit), and rendering it is a large
# share of a page view's time: it is rendered once per process with slots for the task's title
# and content and the worker's config, and kept. The slots hold a random per-process word, so
# no task's text can be mistaken for one.
_SLOT_WORD = secrets.token_hex(8)
TITLE_SLOT, TASK_SLOT, CONFIG_SLOT = (f"slot{_SLOT_WORD}{n}" for n in ("title", "task", "config"))
_SLOTS = re.compile(f"({TITLE_SLOT}|{TASK_SLOT}|{CONFIG_SLOT})")


def _frame(kind: str, access: PageAccess) -> list[str]:
    """The rendered page of this kind and access, split around its slots."""
    reason = hashlib.sha256(access.reason.encode()).hexdigest()[:16]
    key = f"hit-frame:{kind}:{access.mode}:{access.can_submit:d}:{reason}"
    parts = caches["hits"].get(key)
    if parts is None:
        context = {
            "task": TaskContent(TITLE_SLOT, mark_safe(TASK_SLOT)),  # noqa: S308 (a slot word)
            "access": access,
            "config_script": mark_safe(CONFIG_SLOT),  # noqa: S308
        }
        parts = _SLOTS.split(render_to_string(f"hits/{kind}.html", context))
        caches["hits"].set(key, parts, KEPT_SECONDS)
    return parts


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise SubmissionError("The answer is too large.", "malformed")
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SubmissionError("The body must be a JSON object.", "malformed") from exc
    if not isinstance(body, dict):
        raise SubmissionError("The body must be a JSON object.", "malformed")
    return body


def _answered(stored: Stored, submitter: Submitter, kind: str) -> JsonResponse:
    result: dict[str, Any] = {
        "stored": True,
        "answer": stored.answer_id,
        "repeat": not stored.created,
    }
    if submitter.source == Worker.Source.LOCAL:
        result["next_url"] = next_invite(stored.campaign_id, submitter.worker_id, kind)
    return JsonResponse(result, status=201 if stored.created else 200)


# No CSRF cookie here: the page cannot count on cookies inside MTurk's third-party iframe,
# and the endpoint acts on no ambient credential. The signed page token, which only our page
# holds, says who submits (docs/hits-and-mturk.md, "Security of the pages").
@csrf_exempt
@require_POST
def contains_submit(request: HttpRequest, public_id: str) -> JsonResponse:
    try:
        body = _body(request)
        submitter = read_page_token(body.get("token"), CONTAINS, public_id)
        stored = submit_contains(
            public_id, submitter, body.get("positions"), body.get("duration_ms")
        )
    except SubmissionError as exc:
        return error_response(exc)
    return _answered(stored, submitter, CONTAINS)


@csrf_exempt
@require_POST
def classify_submit(request: HttpRequest, public_id: str) -> JsonResponse:
    try:
        body = _body(request)
        submitter = read_page_token(body.get("token"), CLASSIFY, public_id)
        stored = submit_classify(
            public_id, submitter, body.get("labels"), body.get("main"), body.get("duration_ms")
        )
    except SubmissionError as exc:
        return error_response(exc)
    return _answered(stored, submitter, CLASSIFY)
