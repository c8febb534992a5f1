"""A simulated Mechanical Turk market for the crowd simulator's "mturk" mode
(simulation.http_crowd).

An answer given through MTurk's URL parameters counts only once MTurk confirms that the worker
submitted that assignment of a HIT the campaign published (crowd.mturk.sync). So that the
simulated crowd's MTurk-style answers go through that same path, this market stands in for
MTurk's side, and our own code does the rest:

- publishing: each task of the campaign not published yet gets a HIT here (ids `SIMHIT...`),
  stored by our publishing code (crowd.mturk.publish.store_hit) as a sandbox HIT;
- a simulated worker accepts an assignment (ids `SIM...`), opens the HIT page with MTurk's
  parameters, answers through the submit endpoint and then hands the assignment in with the
  answer id, as the page's externalSubmit does;
- the sync (crowd.mturk.sync.sync_hit, through crowd.mturk.gateway.MTurk) then reads this
  market as it reads MTurk: GetHIT and ListAssignmentsForHIT, with the Answer MTurk returns,
  and confirms the answers.

The market is the gateway's boto3 client (the two operations the sync calls, with MTurk's
names and shapes); it lives as long as one simulation, so a later run confirms the answers of
its own visits. Use the mode only on a campaign that is not published on MTurk: its HITs are
stored as sandbox HITs that the real sandbox does not know, marked done between runs so that
the sync of the real sandbox leaves them alone.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from core.errors import FinelabelError
from crowd.models import Hit
from crowd.mturk.gateway import MTurk
from crowd.mturk.publish import plan_publish, request_token, store_hit
from crowd.mturk.sync import SyncReport, sync_hit
from pipeline.models import Campaign

ENDPOINT = "https://simulated-mturk.invalid"  # not MTurk's live endpoint: a sandbox HIT
HIT_PREFIX = "SIMHIT"
ANSWER_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/"
    "QuestionFormAnswers.xsd"
)
LIFETIME = timedelta(days=7)


class MarketError(FinelabelError, ValueError):
    """The campaign cannot be answered on the simulated market."""


class SimulatedMarket:
    """MTurk's side of the HITs of one campaign and task kind (module docstring)."""

    def __init__(self, campaign: Campaign, kind: str) -> None:
        self.meta = SimpleNamespace(endpoint_url=ENDPOINT)  # as a boto3 client has
        self.campaign, self.kind = campaign, kind
        self._lock = threading.Lock()
        self._submitted: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.hits = self._publish()

    # --- publishing --------------------------------------------------------------------

    def _publish(self) -> dict[str, Hit]:
        """Task public id -> its HIT on this market: the tasks not published yet get one
        (nothing is published when a task of the campaign has a HIT on MTurk)."""
        task = "grid" if self.kind == Hit.Kind.CONTAINS else "classify_task"
        hits = Hit.objects.filter(campaign=self.campaign, kind=self.kind).select_related(task)
        if real := hits.exclude(hit_id__startswith=HIT_PREFIX).first():
            raise MarketError(
                f"task {getattr(real, task).public_id} of campaign {self.campaign.name!r} is "
                "published on Mechanical Turk: the simulated crowd's mturk mode is for campaigns "
                "that are not"
            )
        plan = plan_publish(self.campaign, self.kind, sandbox=True)
        now = timezone.now()
        for unpublished in plan.tasks:
            hit = {
                "HITId": f"{HIT_PREFIX}{unpublished.public_id}"[:64],
                "HITTypeId": f"{HIT_PREFIX}TYPE",
                "MaxAssignments": plan.cost.max_assignments,
                "Reward": str(plan.cost.reward),
                "HITStatus": "Assignable",
                "CreationTime": now,
                "Expiration": now + LIFETIME,
            }
            store_hit(plan, unpublished, request_token(self.kind, unpublished), hit)
        hits.update(done=False)  # open while the simulation runs (sync() closes them)
        return {getattr(hit, task).public_id: hit for hit in hits.all()}

    def hit_id(self, public_id: str) -> str:
        return self.hits[public_id].hit_id

    # --- a worker's side ---------------------------------------------------------------

    def hand_in(self, public_id: str, assignment_id: str, worker_id: str, answer_id: int) -> None:
        """What the page's externalSubmit does: the worker submits the assignment to MTurk,
        with our answer id in the form."""
        hit_id = self.hit_id(public_id)
        answer = (
            f'<QuestionFormAnswers xmlns="{ANSWER_NS}"><Answer>'
            f"<QuestionIdentifier>answer</QuestionIdentifier>"
            f"<FreeText>{escape(str(answer_id))}</FreeText></Answer></QuestionFormAnswers>"
        )
        with self._lock:
            self._submitted[hit_id][assignment_id] = {
                "AssignmentId": assignment_id,
                "WorkerId": worker_id,
                "HITId": hit_id,
                "AssignmentStatus": "Submitted",
                "SubmitTime": timezone.now(),
                "Answer": answer,
            }

    # --- the requester API the sync calls (boto3's names) ------------------------------

    def _hit(self, hit_id: str) -> Hit:
        for hit in self.hits.values():
            if hit.hit_id == hit_id:
                return hit
        raise MarketError(f"no HIT {hit_id} on the simulated market")

    def get_hit(self, HITId: str) -> dict:  # noqa: N803 (MTurk's parameter name)
        hit = self._hit(HITId)
        with self._lock:
            done = len(self._submitted[HITId])
        full = done >= hit.max_assignments
        return {
            "HIT": {
                "HITId": HITId,
                "HITTypeId": hit.hit_type_id,
                "HITStatus": "Reviewable" if full else "Assignable",
                "MaxAssignments": hit.max_assignments,
                "Reward": str(Decimal(hit.reward)),
                "CreationTime": hit.created,
                "Expiration": hit.expiration,
                "NumberOfAssignmentsPending": 0,
                "NumberOfAssignmentsAvailable": max(0, hit.max_assignments - done),
                "NumberOfAssignmentsCompleted": done,
            }
        }

    def list_assignments_for_hit(self, HITId: str, **params: Any) -> dict:  # noqa: N803
        self._hit(HITId)
        statuses = set(params.get("AssignmentStatuses") or ["Submitted"])
        with self._lock:
            handed_in = list(self._submitted[HITId].values())
        listed = [a for a in handed_in if a["AssignmentStatus"] in statuses]
        return {"Assignments": listed, "NumResults": len(listed)}

    # --- the sync ------------------------------------------------------------------------

    def sync(self) -> SyncReport:
        """Our sync of every HIT of this market (crowd.mturk.sync), through the gateway as
        with MTurk: the answers handed in here are confirmed."""
        mturk = MTurk(client=self, campaign=self.campaign)
        report = SyncReport()
        for hit in sorted(self.hits.values(), key=lambda h: h.pk):
            hit.refresh_from_db()
            sync_hit(mturk, hit, report)
        # Closed between runs: the sync of the real sandbox (the beat task) leaves them alone.
        Hit.objects.filter(pk__in=[h.pk for h in self.hits.values()]).update(done=True)
        return report
