"""Local crowd mode: a lab's own annotators answer the HIT pages without Mechanical Turk.

An invite link is the HIT page's URL with a signed `invite` parameter (Django signing, so it
cannot be forged or altered) that names the worker handle, the task and a synthetic
assignment id. The id is derived from the worker and the task, so reopening a link resumes the
same assignment and a second submit returns the first answer, as on MTurk. The signature
verifies the answer's source: answers through an invite count at once
(crowd.models.Verification).

A lab annotator's grids come in an order that keeps a picture from being shown to them twice
under the same query (which would tell a control from a tested image, see
crowd.services.task_facts) where the campaign's grids allow: grids that would repeat a picture
of a grid of the same query the annotator answered come last.
"""

from __future__ import annotations

import hashlib
import re

from django.core import signing
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from crowd.models import (
    Assignment,
    ClassifyAnswer,
    ClassifyTask,
    ContainsAnswer,
    ContainsGrid,
    GridItem,
    Worker,
)
from crowd.services.submission_input import SubmissionError, Submitter
from pipeline.models import Campaign
from pipeline.stages import adaptive

SALT = "finelabel.local-invite"
# Lab annotators may work through their links over weeks; a stale link simply stops working.
INVITE_MAX_AGE = 60 * 24 * 3600
HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
KINDS = (Assignment.Kind.CONTAINS, Assignment.Kind.CLASSIFY)
PAGE_NAMES = {Assignment.Kind.CONTAINS: "hit-contains", Assignment.Kind.CLASSIFY: "hit-classify"}


def local_assignment_id(kind: str, public_id: str, handle: str) -> str:
    """Stable per (task, worker); the prefix keeps it apart from MTurk's ids."""
    digest = hashlib.sha256(f"{kind}:{public_id}:{handle}".encode()).hexdigest()[:24]
    return f"local-{digest}"


def check_handle(handle: str) -> str:
    if not isinstance(handle, str) or not HANDLE.match(handle):
        raise SubmissionError(
            "A worker handle is 1 to 64 letters, digits or . _ @ - and starts with a letter "
            "or digit.",
            "malformed",
        )
    return handle


# Sources an invite may name: lab annotators, and the crowd simulator (simulation.http_crowd),
# whose answers then stay apart from real ones.
INVITE_SOURCES = (Worker.Source.LOCAL, Worker.Source.SIMULATED)


def invite_link(kind: str, public_id: str, handle: str, source: str = Worker.Source.LOCAL) -> str:
    """The path of one task's page for a local worker (prefix it with the site's origin).
    `source` SIMULATED marks the worker as the crowd simulator's."""
    if source not in INVITE_SOURCES:
        raise ValueError(f"an invite is for a local or simulated worker, not {source!r}")
    payload = {"k": kind, "t": public_id, "w": check_handle(handle)}
    if source != Worker.Source.LOCAL:
        payload["s"] = source
    token = signing.dumps(payload, salt=SALT)
    return f"{reverse(PAGE_NAMES[kind], args=[public_id])}?invite={token}"


def read_invite(token: str, kind: str, public_id: str) -> Submitter:
    """The local submitter an invite names; SubmissionError if forged, expired or for
    another page."""
    try:
        data = signing.loads(token, salt=SALT, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise SubmissionError(
            "This invite link has expired; ask for a new one.", "expired"
        ) from exc
    except signing.BadSignature as exc:
        raise SubmissionError("This invite link is not valid.", "bad_invite") from exc
    if data.get("k") != kind or data.get("t") != public_id:
        raise SubmissionError("This invite link is for another task.", "bad_invite")
    handle, source = data["w"], data.get("s", Worker.Source.LOCAL)
    if source not in INVITE_SOURCES:
        raise SubmissionError("This invite link is not valid.", "bad_invite")
    return Submitter(
        worker_id=handle,
        assignment_id=local_assignment_id(kind, public_id, handle),
        source=source,
    )


def with_open_slots(tasks, campaign_id: int, kind: str):
    """In an adaptive campaign, only the tasks still short of the answers asked of them
    (pipeline.stages.adaptive): the minimum first, more only where the outcome is not
    settled. In the fixed design, every task."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if not adaptive.is_adaptive(campaign, kind):
        return tasks
    want, have = adaptive.targets(campaign, kind), adaptive.counted(campaign, kind)
    return tasks.filter(pk__in=[pk for pk, n in want.items() if have.get(pk, 0) < n])


def _open_tasks(campaign_id: int, handle: str, kind: str) -> list[str]:
    """Public ids of the campaign's tasks of `kind` this local worker has not answered yet,
    in the campaign's order; grids that would show the worker a picture again under the same
    query come last (module docstring)."""
    mine = Q(worker__source=Worker.Source.LOCAL, worker__external_id=handle)
    if kind == Assignment.Kind.CONTAINS:
        done = ContainsAnswer.objects.filter(mine).values("grid")
        tasks = ContainsGrid.objects.filter(campaign_id=campaign_id).exclude(pk__in=done)
        tasks = with_open_slots(tasks, campaign_id, kind)
        seen = GridItem.objects.filter(
            grid__in=done,
            grid__query_id=OuterRef("grid__query_id"),
            image_id=OuterRef("image_id"),
        )
        repeats = Exists(GridItem.objects.filter(grid=OuterRef("pk")).filter(Exists(seen)))
        tasks = tasks.annotate(repeats=repeats).order_by("repeats", "number")
        return list(tasks.values_list("public_id", flat=True))
    done = ClassifyAnswer.objects.filter(mine).values("task")
    tasks = ClassifyTask.objects.filter(campaign_id=campaign_id).exclude(pk__in=done)
    tasks = with_open_slots(tasks, campaign_id, kind)
    return list(tasks.order_by("pk").values_list("public_id", flat=True))


def invite_links(
    campaign: Campaign, handle: str, kinds: tuple[str, ...] = KINDS
) -> list[tuple[str, str]]:
    """(kind, path) of every task of the campaign that this lab annotator has not answered
    yet. Registers the annotator as a local worker; a blocked worker gets no links."""
    worker, _ = Worker.objects.get_or_create(
        source=Worker.Source.LOCAL, external_id=check_handle(handle)
    )
    if worker.blocked:
        raise SubmissionError(f"Worker {handle!r} is blocked: {worker.blocked_reason}", "blocked")
    return [
        (kind, invite_link(kind, public_id, handle))
        for kind in kinds
        for public_id in _open_tasks(campaign.pk, handle, kind)
    ]


def next_invite(campaign_id: int, handle: str, kind: str) -> str | None:
    """The link to this worker's next open task of the same kind, or None when done."""
    open_tasks = _open_tasks(campaign_id, handle, kind)
    return invite_link(kind, open_tasks[0], handle) if open_tasks else None
