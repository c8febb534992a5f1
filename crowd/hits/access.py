"""Who is looking at a HIT page, and the signed page token that lets that page submit.

A page is opened in one of three modes:
- "mturk": inside Mechanical Turk's ExternalQuestion iframe, with assignmentId, hitId,
  workerId and turkSubmitTo in its URL; the hitId must be a HIT this campaign published for
  the task;
- "preview": MTurk shows the HIT before it is accepted (assignmentId is
  ASSIGNMENT_ID_NOT_AVAILABLE, or absent): the task is shown (a grid without its pictures)
  but cannot be submitted;
- "local": a lab annotator's signed invite link (crowd.services.invites).
Anything else ("closed") shows the task with the reason it cannot be submitted: parameters
that are not MTurk's, a HIT that is not this task's, a campaign that is done, a task this
MTurk worker answered already (on another of its HITs), or a grid whose pictures this MTurk
worker has seen in another grid of the same query (crowd.services.task_facts). A grid page
that cannot be submitted shows no pictures (crowd.hits.content).

MTurk's parameters are not signed, so the token of an "mturk" page does not make its answer
count: the answer waits for the MTurk sync to confirm it (crowd.services.answers).

The submit endpoint takes no cookie: the page carries a token signed by the server that
binds the task, worker, assignment and HIT, and the endpoint believes only that token about
who submits. See docs/hits-and-mturk.md, "Security of the pages", for why this replaces
Django's CSRF cookie here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from crowd.services.answers import SEEN, UNKNOWN_HIT
from crowd.services.invites import read_invite
from crowd.services.submission_input import PREVIEW_ASSIGNMENT_ID, SubmissionError, Submitter
from crowd.services.task_facts import (
    ANSWERED_BEFORE,
    answered_before,
    has_seen_pictures,
    published_hit,
    task_facts,
)

SALT = "finelabel.hit-page"
# A page must be submitted within a day of being opened (MTurk assignments last hours).
PAGE_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class PageAccess:
    mode: str  # mturk | preview | local | closed
    submitter: Submitter | None = None
    turk_submit_to: str = ""
    reason: str = ""

    @property
    def can_submit(self) -> bool:
        return self.submitter is not None


def turk_submit_origin(value: str) -> str | None:
    """turkSubmitTo reduced to its origin if it is one we post to, else None: the page
    posts the assignment id there, so a link cannot send it to any other site."""
    try:
        parts = urlsplit(value)
    except ValueError:  # not a URL: "http://[", a netloc that NFKC changes
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if origin in settings.FINELABEL_TURK_SUBMIT_ORIGINS else None


def page_access(request: HttpRequest, kind: str, public_id: str) -> PageAccess:
    query = request.GET
    if "invite" in query:
        try:
            submitter = read_invite(query["invite"], kind, public_id)
        except SubmissionError as exc:
            return PageAccess("closed", reason=exc.message)
        return _open_or_closed(PageAccess("local", submitter), kind, public_id)
    assignment_id = query.get("assignmentId", "")
    if assignment_id in ("", PREVIEW_ASSIGNMENT_ID):
        return PageAccess("preview", reason="Preview: accept the HIT to start working on it.")
    worker_id, hit_id = query.get("workerId", ""), query.get("hitId", "")
    origin = turk_submit_origin(query.get("turkSubmitTo", ""))
    if not worker_id or origin is None:
        return PageAccess(
            "closed", reason="This page was opened without valid Mechanical Turk parameters."
        )
    if not published_hit(kind, public_id, hit_id):
        return PageAccess("closed", reason=UNKNOWN_HIT)
    access = PageAccess("mturk", Submitter(worker_id, assignment_id, hit_id), origin)
    return _open_or_closed(access, kind, public_id)


def _open_or_closed(access: PageAccess, kind: str, public_id: str) -> PageAccess:
    """`access`, or closed when the campaign is done (as the kept facts say: the submit checks
    it again) or, for an MTurk worker, when they answered this task under another assignment
    (one query) or this grid shows pictures they saw under the same query (one query)."""
    facts = task_facts(kind, public_id)
    if facts is None:  # gone since its content was read
        return PageAccess("closed", reason="This task no longer exists.")
    if facts.refusal:
        return PageAccess("closed", reason=facts.refusal)
    if access.mode != "mturk":
        return access
    worker, assignment = access.submitter.worker_id, access.submitter.assignment_id
    if answered_before(worker, assignment, kind, facts):
        return PageAccess("closed", reason=ANSWERED_BEFORE)
    if has_seen_pictures(worker, facts):
        return PageAccess("closed", reason=SEEN)
    return access


def page_token(kind: str, public_id: str, submitter: Submitter) -> str:
    payload = {
        "k": kind,
        "t": public_id,
        "w": submitter.worker_id,
        "a": submitter.assignment_id,
        "h": submitter.hit_id,
        "s": submitter.source,
    }
    return signing.dumps(payload, salt=SALT)


def read_page_token(token: object, kind: str, public_id: str) -> Submitter:
    if not isinstance(token, str) or not token:
        raise SubmissionError("The page token is missing; reload the page.", "no_token")
    try:
        data = signing.loads(token, salt=SALT, max_age=PAGE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise SubmissionError("This page has expired; reload it.", "expired") from exc
    except signing.BadSignature as exc:
        raise SubmissionError("The page token is not valid; reload the page.", "bad_token") from exc
    if data.get("k") != kind or data.get("t") != public_id:
        raise SubmissionError("The page token is for another task.", "bad_token")
    return Submitter(data["w"], data["a"], data["h"], data["s"])
