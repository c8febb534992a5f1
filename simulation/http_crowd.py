"""The simulated crowd, answering through the HIT pages and submit endpoints as a worker does.

For every assignment the answer models decide (simulation.contains_model for CONTAINS,
simulation.classify_model for CLASSIFY), a simulated worker GETs the task's HIT page, reads
the page's `hit-config` JSON (submit URL and signed page token) and the positions the page
shows, and POSTs its answer to the submit endpoint, expecting 201 (stored) or 200 (a repeat of
an assignment already answered). Nothing is written to the database by the simulator itself:
the endpoint validates and stores every answer, exactly as for a real worker. Reading is
allowed: a simulated worker "sees" the pictures and the label names, so the simulator looks up
which image or label sits at each position shown (read-only) to answer from its truth.

How a worker opens a page (`mode`):
- "invite" (default): a signed local-crowd invite link whose worker is marked as simulated
  (crowd.services.invites), so the answers stay apart from real workers' ones and the
  resumable/replace logic of the simulators finds them;
- "mturk": MTurk's ExternalQuestion parameters (assignmentId, hitId, workerId, turkSubmitTo),
  as Mechanical Turk opens the page, on a simulated market (simulation.mturk_market) that
  publishes the tasks as HITs `SIMHIT...`; each worker hands its assignment in there with the
  answer id, and the MTurk sync then confirms the answers, as for real MTurk answers, which
  count only then. The workers are stored as MTurk workers and the HITs as sandbox HITs, so
  use it only on a campaign that is not published on MTurk. An MTurk worker is not shown two
  grids of one query with a picture in common, so the crowd is planned that way.

Transports:
- `InProcess`: Django's test client, i.e. the WSGI handler with the full middleware stack,
  URL routing, views and validation: the same endpoints without a socket. The demo and the
  tests use it (no server needs to run).
- `Http`: real HTTP/1.1 against a running server (`--url http://127.0.0.1:8000`), with
  keep-alive connections, one per thread.

Think time is sent as `duration_ms` (left out by a crowd without think time); the simulator
does not wait unless `real_time` > 0, in which case each worker sleeps its think time times
`real_time` before submitting.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse

from core.errors import FinelabelError, MissingInput
from crowd.models import Assignment, ClassifyOption, ClassifyTask, ContainsGrid, GridItem, Worker
from crowd.services.invites import invite_link
from pipeline.models import Campaign
from simulation import classify_model, contains_model
from simulation.classify_crowd import WORKER_PREFIX, SimulationSummary, Truth, demo_truth
from simulation.contains_crowd import (
    SimulationResult,
    campaign_truth,
    grid_conflicts,
    plan_crowd,
)
from simulation.mturk_market import SimulatedMarket

Progress = Callable[[int, int], object]
MODES = ("invite", "mturk")
CONFIG = re.compile(r'<script id="hit-config" type="application/json">(.*?)</script>', re.S)
CONTAINS_CELL = re.compile(r'data-position="(\d+)"')
CLASSIFY_OPTION = re.compile(r'name="present" value="(\d+)"')
# A CLASSIFY worker's median think time per option read; looking at the picture takes twice it.
CLASSIFY_MS_PER_OPTION = 2000.0


class CrowdError(FinelabelError, RuntimeError):
    """A page or an endpoint did not answer as a worker's browser expects."""


class Transport(Protocol):
    name: str

    def get(self, path: str) -> tuple[int, str]: ...

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]: ...


class InProcess:
    """The endpoints through Django's WSGI handler, without a socket (django.test.Client)."""

    name = "in-process"

    def __init__(self) -> None:
        hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and "*" not in h]
        host = hosts[0].lstrip(".") if hosts else "localhost"
        self._local = threading.local()
        self._host = host

    def _client(self):
        from django.test import Client

        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = Client(HTTP_HOST=self._host)
        return client

    def get(self, path: str) -> tuple[int, str]:
        response = self._client().get(path)
        return response.status_code, response.content.decode()

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = self._client().post(path, json.dumps(body), content_type="application/json")
        return response.status_code, _json(response.content)


class Http:
    """A running server over HTTP/1.1 keep-alive, one connection per thread."""

    name = "http"

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"--url must be an http(s) origin such as http://127.0.0.1:8000, not {base_url!r}"
            )
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            cls = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            connection = self._local.connection = cls(self._host, self._port, timeout=self._timeout)
        return connection

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            connection = self._connection(fresh=attempt > 0)
            try:
                connection.request(method, self._prefix + path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, str]:
        status, content = self._request("GET", path)
        return status, content.decode()

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, content = self._request("POST", path, json.dumps(body).encode())
        return status, _json(content)


def _json(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError:
        return {"error": content[:200].decode(errors="replace")}
    return data if isinstance(data, dict) else {"error": repr(data)[:200]}


def transport_for(url: str | None) -> Transport:
    """Http for a server URL, else the in-process client."""
    return Http(url) if url else InProcess()


# --- one worker, one page ----------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One simulated assignment: who opens which task's page, and how it answers."""

    kind: str  # Assignment.Kind
    public_id: str
    worker: str  # the worker's handle / MTurk worker id
    answer: Callable[[list[int], random.Random], dict[str, Any]]  # shown positions -> body
    rng_key: str


@dataclass(frozen=True)
class Submitted:
    visit: Visit
    status: int  # 201 stored, 200 repeat
    sent: dict[str, Any]  # the answer posted (without the token)
    reply: dict[str, Any]


def assignment_id(visit: Visit) -> str:
    """The MTurk-style assignment id of a visit (stable, so a re-run repeats it)."""
    digest = hashlib.sha256(f"{visit.kind}:{visit.public_id}:{visit.worker}".encode())
    return f"SIM{digest.hexdigest()[:27].upper()}"


def page_path(visit: Visit, mode: str, market: SimulatedMarket | None = None) -> str:
    """The page as the worker opens it: an invite link, or MTurk's parameters with the
    task's HIT on the simulated market."""
    if mode == "invite":
        return invite_link(visit.kind, visit.public_id, visit.worker, Worker.Source.SIMULATED)
    if market is None:
        raise CrowdError("the mturk mode answers HITs of a simulated market")
    params = {
        "assignmentId": assignment_id(visit),
        "hitId": market.hit_id(visit.public_id),
        "workerId": visit.worker,
        "turkSubmitTo": _turk_origin(),
    }
    return f"{reverse(f'hit-{visit.kind}', args=[visit.public_id])}?{urlencode(params)}"


def _turk_origin() -> str:
    origins = list(settings.FINELABEL_TURK_SUBMIT_ORIGINS)
    sandbox = [o for o in origins if "sandbox" in o]
    if not origins:
        raise CrowdError("FINELABEL_TURK_SUBMIT_ORIGINS is empty: the mturk mode needs one")
    return (sandbox or origins)[0]


def read_page(html: str, kind: str) -> tuple[dict[str, Any], list[int]]:
    """The page's hit-config JSON and the positions it shows (cells or options)."""
    match = CONFIG.search(html)
    if not match:
        raise CrowdError("the HIT page has no hit-config script")
    pattern = CONTAINS_CELL if kind == Assignment.Kind.CONTAINS else CLASSIFY_OPTION
    return json.loads(match.group(1)), [int(p) for p in pattern.findall(html)]


def work(
    transport: Transport,
    visit: Visit,
    mode: str,
    seed: object,
    real_time: float = 0.0,
    market: SimulatedMarket | None = None,
) -> Submitted:
    """Open the page, answer what it shows, submit (and, on the simulated market, hand the
    assignment in); CrowdError unless the answer is stored."""
    status, html = transport.get(page_path(visit, mode, market))
    if status != 200:
        raise CrowdError(f"GET {visit.kind} page {visit.public_id}: HTTP {status}")
    config, shown = read_page(html, visit.kind)
    if not config.get("can_submit"):
        raise CrowdError(f"{visit.kind} page {visit.public_id} cannot submit: {config['reason']}")
    rng = random.Random(f"crowd-http:{seed}:{visit.rng_key}")
    body = {"token": config["token"], **visit.answer(shown, rng)}
    if real_time > 0 and body.get("duration_ms"):
        time.sleep(body["duration_ms"] * real_time / 1000)
    status, reply = transport.post_json(config["submit_url"], body)
    if status not in (200, 201) or not reply.get("stored"):
        raise CrowdError(
            f"POST {config['submit_url']} by {visit.worker}: HTTP {status}: {reply.get('error')}"
        )
    body.pop("token")
    if market is not None:
        market.hand_in(visit.public_id, assignment_id(visit), visit.worker, reply["answer"])
    return Submitted(visit, status, body, reply)


def run_visits(
    transport: Transport,
    visits: Sequence[Visit],
    mode: str = "invite",
    seed: object = 0,
    threads: int = 1,
    real_time: float = 0.0,
    progress: Progress | None = None,
    market: SimulatedMarket | None = None,
) -> list[Submitted]:
    """Every visit, on `threads` workers at once (one is right in-process: the handler and the
    database share this process's cores); results in the order of `visits`. With a simulated
    market (mode "mturk"), its HITs are then synced, which confirms the answers."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    done = _run(transport, visits, mode, seed, threads, real_time, progress, market)
    if market is not None:
        market.sync()
    return done


def _run(transport, visits, mode, seed, threads, real_time, progress, market) -> list[Submitted]:
    done = 0
    lock = threading.Lock()

    def one(visit: Visit) -> Submitted:
        nonlocal done
        try:
            return work(transport, visit, mode, seed, real_time, market)
        finally:
            with lock:
                done += 1
                if progress:
                    progress(done, len(visits))
            if threads > 1:
                close_old_connections()  # each pool thread has its own DB connection

    if threads <= 1:
        return [one(v) for v in visits]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, visits))


# --- CONTAINS ----------------------------------------------------------------------------


def crowd_contains(
    campaign: Campaign,
    transport: Transport | None = None,
    spammer_share: float = 0.1,
    seed: int | None = None,
    workers: int | None = None,
    spammer_kinds: Sequence[str] = contains_model.DEFAULT_SPAMMERS,
    crowd_model: contains_model.CrowdModel = contains_model.DEFAULT_CROWD,
    truth: Mapping[int, frozenset[int]] | None = None,
    extra_true_rate: float = 0.1,
    mislabeled_rate: float = 0.0,
    mode: str = "invite",
    threads: int = 1,
    real_time: float = 0.0,
    progress: Progress | None = None,
    targets: Mapping[int, int] | None = None,
) -> SimulationResult:
    """Fill every grid of the campaign up to `contains_assignments` answers (or its entry in
    `targets`: adaptive collection) through the HIT endpoints. Same crowd, assignment of
    workers to grids and resumability as simulation.contains_crowd.simulate_contains
    (workers `sim<seed>-NNNNN`); a grid already full gets no visit."""
    transport = transport or InProcess()
    seed = campaign.seed if seed is None else seed
    rng = random.Random(f"simulate:{seed}")
    grids = dict(ContainsGrid.objects.filter(campaign=campaign).values_list("pk", "public_id"))
    if not grids:
        raise MissingInput(f"campaign {campaign.name!r} has no grids: build the grids first")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    market = SimulatedMarket(campaign, Assignment.Kind.CONTAINS) if mode == "mturk" else None
    plan = plan_crowd(
        campaign,
        list(grids),
        rng,
        spammer_share,
        seed,
        workers,
        spammer_kinds,
        crowd_model,
        conflicts=grid_conflicts(campaign) if market is not None else None,
        targets=targets,
    )
    crowd, chosen, n_workers = plan.crowd, plan.chosen, len(plan.crowd)
    if truth is None:
        truth = campaign_truth(campaign, rng, extra_true_rate, mislabeled_rate)
    cells = _cells(campaign)
    grid_rows = ContainsGrid.objects.filter(campaign=campaign).values_list(
        "pk", "query_id", "number"
    )
    queries = {pk: query for pk, query, _ in grid_rows}
    numbers = {pk: number for pk, _, number in grid_rows}  # stable across databases, unlike pk
    visits = [
        Visit(
            Assignment.Kind.CONTAINS,
            grids[grid],
            crowd[w].key,
            _grid_answer(crowd[w], queries[grid], cells[grid], truth, crowd_model),
            f"contains:{numbers[grid]}:{crowd[w].key}",
        )
        for grid in sorted(chosen)
        for w in chosen[grid]
    ]
    done = run_visits(transport, visits, mode, seed, threads, real_time, progress, market)
    result = SimulationResult(
        answers=sum(s.status == 201 for s in done),
        selections=sum(len(s.sent["positions"]) for s in done if s.status == 201),
        grids_filled=len(chosen),
        workers=n_workers,
        truth=dict(truth),
    )
    source = Worker.Source.SIMULATED if mode == "invite" else Worker.Source.MTURK
    ids = dict(
        Worker.objects.filter(source=source, external_id__in=[w.key for w in crowd]).values_list(
            "external_id", "pk"
        )
    )
    for kind in set(spammer_kinds):
        result.spammers[kind] = [ids[w.key] for w in crowd if w.kind == kind and w.key in ids]
    return result


def _cells(campaign: Campaign) -> dict[int, dict[int, tuple[int, bool]]]:
    """grid -> position -> (image id, is control): what a worker sees at each cell."""
    cells: dict[int, dict[int, tuple[int, bool]]] = defaultdict(dict)
    rows = GridItem.objects.filter(grid__campaign=campaign).values_list(
        "grid_id", "position", "image_id", "is_control"
    )
    for grid, position, image, control in rows.iterator(chunk_size=50_000):
        cells[grid][position] = (image, control)
    return cells


def _grid_answer(
    worker: contains_model.SimWorker,
    query: int,
    cells: dict[int, tuple[int, bool]],
    truth: Mapping[int, frozenset[int]],
    crowd_model: contains_model.CrowdModel,
) -> Callable[[list[int], random.Random], dict[str, Any]]:
    def answer(shown: list[int], rng: random.Random) -> dict[str, Any]:
        if sorted(shown) != sorted(cells):
            raise CrowdError(f"the page shows positions {shown}, the grid has {sorted(cells)}")
        images = [cells[p][0] for p in shown]
        controls = {i for i, p in enumerate(shown) if cells[p][1]}
        picked = contains_model.answer_grid(
            worker, query, images, truth, rng, controls, crowd_model.spam_rate
        )
        body: dict[str, Any] = {"positions": [shown[i] for i in picked]}
        duration = contains_model.think_time_ms(worker, len(shown), rng)
        if duration is not None:
            body["duration_ms"] = duration
        return body

    return answer


# --- CLASSIFY ----------------------------------------------------------------------------


def crowd_classify(
    campaign: Campaign,
    transport: Transport | None = None,
    spammers: int = 2,
    seed: int | None = None,
    truth: Truth | None = None,
    model: classify_model.CrowdModel | None = None,
    mode: str = "invite",
    threads: int = 1,
    real_time: float = 0.0,
    progress: Progress | None = None,
    ms_per_option: float = CLASSIFY_MS_PER_OPTION,
    targets: Mapping[int, int] | None = None,
) -> SimulationSummary:
    """Answer the campaign's CLASSIFY tasks through the HIT endpoints, each up to
    `classify_assignments` answers, with the crowd of simulation.classify_model (workers
    `classify-honest-NN`, `classify-spam-NN`). Re-running with the same seed revisits the same
    assignments, which the endpoint answers as repeats (nothing new is stored).

    The page accepts only answers with at least one label and a main label among them, so a
    spammer who would submit nothing ticks one option at random, and a worker whose main label
    is not among its ticks also ticks it (or takes its first tick as main).

    `model` (default: the model's crowd with `spammers` spammers) sets how honest workers and
    spammers answer; `ms_per_option` the median think time per option read (the picture takes
    twice it; spammers a fifth of the time; 0: answers without think time)."""
    if not ms_per_option >= 0.0:
        raise ValueError(f"the think time per option cannot be negative, got {ms_per_option}")
    transport = transport or InProcess()
    model = model or classify_model.CrowdModel(spammers=spammers)
    seed = campaign.seed if seed is None else seed
    truth = demo_truth(campaign) if truth is None else truth
    options: dict[int, dict[int, int]] = defaultdict(dict)  # task -> label -> position
    for task, label, position in ClassifyOption.objects.filter(task__campaign=campaign).values_list(
        "task_id", "label_id", "position"
    ):
        options[task][label] = position
    tasks = []
    public = {}
    for task, public_id, image, label in (
        ClassifyTask.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", "public_id", "image_id", "image__label_id")
    ):
        if task not in options:
            continue
        public[task] = public_id
        labels = tuple(sorted(options[task], key=options[task].get))
        objects = truth.get(image) or ((label,),)
        tasks.append(classify_model.SimTask(task, labels, objects))
    ordinal = {task.key: n for n, task in enumerate(tasks)}  # stable, unlike pk
    planned = classify_model.simulate(tasks, campaign.classify_assignments, model, seed)
    if targets is not None:  # adaptive: each task's first planned answers, as many as asked
        planned = _first_planned(planned, targets)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    market = SimulatedMarket(campaign, Assignment.Kind.CLASSIFY) if mode == "mturk" else None
    visits = [
        Visit(
            Assignment.Kind.CLASSIFY,
            public[a.task_key],
            WORKER_PREFIX + a.worker,
            _classify_answer(a, options[a.task_key], ms_per_option),
            f"classify:{ordinal[a.task_key]}:{a.worker}",
        )
        for a in planned
    ]
    done = run_visits(transport, visits, mode, seed, threads, real_time, progress, market)
    return SimulationSummary(
        tasks=len(tasks),
        answers=sum(s.status == 201 for s in done),
        spammer_answers=sum(
            a.spammer for a, s in zip(planned, done, strict=True) if s.status == 201
        ),
        workers=len({a.worker for a in planned}),
        replaced=0,
    )


def _first_planned(
    planned: list[classify_model.SimAnswer], targets: Mapping[int, int]
) -> list[classify_model.SimAnswer]:
    """The first `targets[task]` planned answers of each task: the same seed plans the same
    answers, so a later round revisits these (answered as repeats) and adds the next ones."""
    taken: dict[int, int] = defaultdict(int)
    kept = []
    for a in planned:
        if taken[a.task_key] < targets.get(a.task_key, 0):
            taken[a.task_key] += 1
            kept.append(a)
    return kept


def _classify_answer(
    planned: classify_model.SimAnswer, positions: dict[int, int], ms_per_option: float
) -> Callable[[list[int], random.Random], dict[str, Any]]:
    def answer(shown: list[int], rng: random.Random) -> dict[str, Any]:
        if sorted(shown) != sorted(positions.values()):
            raise CrowdError(f"the page shows options {shown}, the task has {positions}")
        labels = [positions[label] for label in planned.selected]
        main = positions.get(planned.main) if planned.main is not None else None
        if not labels:
            labels = [rng.choice(shown)]
        if main is None:
            main = labels[0]
        elif main not in labels:
            labels.append(main)
        body: dict[str, Any] = {"labels": labels, "main": main}
        if ms_per_option > 0:
            # By default about 4 s to look at the picture and 2 s per option read (spammers: a
            # glance).
            pace = 0.2 if planned.spammer else 1.0
            typical = ms_per_option * (2 + len(shown)) * pace
            body["duration_ms"] = max(1, round(typical * math.exp(rng.gauss(0.0, 0.3))))
        return body

    return answer
