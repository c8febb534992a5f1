"""Load and reliability of the HIT pages: many simulated crowd workers at once.

Sets up its own database (PostgreSQL `finelabel_bench_load` by default: migrated, the class
catalogue loaded with `load_imagenet_classes`, a campaign of CONTAINS grids and CLASSIFY tasks
over generated pictures with thumbnails), starts the web service (config/serve.py) and runs
simulated workers, each a thread with its own keep-alive HTTP connection. A worker opens a
task's page with MTurk's URL parameters (assignmentId, hitId, workerId, turkSubmitTo), reads
the page's `hit-config` JSON (token, submit URL), thinks for a while and POSTs its answer,
exactly as the page's script does. The answers come from the crowd simulator's answer models
(simulation.contains_model, a tenth of the crowd spammers; simulation.classify_model): each picture
holds its dataset label. As real browsers do, some answers are sent twice:
a few after the client gave up on the response (the request is sent, the connection dropped
unread, and the same assignment submitted again), a few again after their acknowledgement.
Failed requests (connection errors, 5xx) are retried with the same assignment.

Afterwards every acknowledged answer (2xx) is looked up in the database: `lost` counts
acknowledged answers that are not stored, `doubled` counts extra rows for one assignment or
one (worker, task), and `mismatched` answers stored with other positions than those sent.
The bench exits with status 1 when any answer was lost, doubled, mismatched or refused (with
`--embedded`, also when any request failed).

Modes:
- default: granian (3 workers x 4 threads) on PostgreSQL with Redis as the shared cache (the
  docker-compose stack), 200 workers; the cache starts empty;
- `--kill-worker`: the same, and one server worker is killed (SIGKILL) mid-load; requests
  it held fail and are retried; nothing acknowledged may be lost;
- `--embedded`: the demo's setup (no DATABASE_URL: SQLite under a temporary var dir, served
  by `manage.py runserver`), 50 workers; no request may fail;
- `--compare`: runs of granian and gunicorn configurations one after the other, the figures
  that chose the default; gunicorn gthread 3x4 (bench/gunicorn_conf.py) is the baseline;
- `--adaptive` (alone or with `--embedded`): an adaptive campaign (3 answers first, at most
  9) answered in rounds, with the sync confirming the answers and the adaptive decisions
  between them, until every task is settled or at its maximum (bench/load_adaptive.py). The
  figures cover every round (no warm-up is left out), and no closed loop follows.

CPU time per answer is read from /proc for the server's processes, the PostgreSQL backends of
the bench database and this client (with SQLite, the database's work counts as the app's): on
a shared machine it says more than answers/s, which depends on what else runs. The server runs
as config/serve.py starts it (granian, 3 workers x 4 threads), as docker-compose.yml does;
`--server` picks another from SERVERS.

The load is open by default: answers start at --rate a second (310: the 300 to carry, plus a
margin for the window's edges) whether or not the server keeps up, each taken by the first
free simulated worker (page, think, submit), as crowd workers arrive; `start_late_p99_ms`
says how long starts waited for a free worker (milliseconds while the server keeps up, seconds
when it falls behind). Then a closed-loop run (each worker starts again as soon as it has
thought; --saturate-seconds) gives the most answers/s the server gives: `max_answers_per_s`.
The measured window starts after a 10 s warm-up, in which every server process fills its kept
task content (its p99 is `warmup_p99_ms`). Target: 300 answers/s with submit p99 under 200 ms.

Latencies are those of the submit requests (p50, p99), measured after a warm-up; answers/s
counts distinct acknowledged answers in the same window. The baseline of the ratio printed is
the server's own minimal request (`/health/`, one query) under the same concurrency, measured
in the same run; with `--compare`, gunicorn gthread 3x4.

Run: `.venv/bin/python bench/load.py [--rate 310] [--seconds 20] [--workers N]
[--kill-worker | --embedded | --compare]` (`--database-url`, `--cache-url`; `--repeat-rate`,
`--drop-rate` and `--think-ms` shape the crowd; `--adaptive`). Measured figures: bench/README.md.

Last line: `answers_per_s p50_ms p99_ms lost doubled`, then `offered_per_s page_p50_ms
page_p99_ms start_late_p99_ms warmup_p99_ms acked failed_requests refused gave_up wrong_repeat
health_rps app_cpu_ms_per_answer db_cpu_ms_per_answer client_cpu_ms_per_answer mismatched
unacked`, `killed_pid workers_after` with `--kill-worker`, `max_answers_per_s saturated_p50_ms
saturated_p99_ms` after a closed loop, `after_warmup_p99_ms adaptive_answers_saved
answers_collected answers_fixed unconfirmed waiting over_maximum rounds extended sync_s` with
`--adaptive`, and `answers_vs_health`, each as key=value.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from simulation.classify_model import CrowdModel, SimTask, answer
from simulation.contains_model import SPAMMER_KINDS, answer_grid, make_crowd, think_time_ms

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PG_URL = "postgres://postgres:postgres@127.0.0.1:5432/finelabel_bench_load"
CACHE_URL = "redis://127.0.0.1:6379/13"
# Honest CLASSIFY workers who never slip: the server refuses a main label not selected.
CLASSIFY_MODEL = CrowdModel(slip=0.0)
CONFIG = re.compile(rb'<script id="hit-config" type="application/json">(.*?)</script>', re.S)
CAMPAIGN = "load-bench"
TURK_SUBMIT_TO = "https://workersandbox.mturk.com"
# Servers compared by --compare: (server or gunicorn worker class, workers, threads). granian
# runs as config/serve.py starts it (docker-compose.yml), gunicorn with bench/gunicorn_conf.py's
# settings: the baseline, measured in the same run.
SERVERS = {
    "granian-3x4": ("granian", 3, 4),
    "granian-2x6": ("granian", 2, 6),
    "gthread-3x4": ("gthread", 3, 4),
    "sync-8": ("sync", 8, 1),
}
DEFAULT_SERVER = "granian-3x4"
# The load to carry: 300 answers/s from 200 workers, with submit p99 under 200 ms. The run
# offers a little more, so that the answers counted in the window (which can fall a few short
# of those started, at its edges) still say whether 300 a second were served.
TARGET_RATE = 300.0
TARGET_P99_MS = 200.0
OFFERED_RATE = 310.0
# Figures that must be 0: an answer lost, stored twice, stored wrong, refused, or a repeat
# answered with another answer than the first.
BROKEN = ("lost", "doubled", "mismatched", "refused", "wrong_repeat")
# And with --adaptive: an acknowledged answer the sync did not confirm, a task left short of
# the answers asked of it, or one with more counted answers than the maximum.
ADAPTIVE_BROKEN = ("unconfirmed", "waiting", "over_maximum")


# ---------------------------------------------------------------- database and campaign


def ensure_pg_database(url: str) -> None:
    """Create the bench's PostgreSQL database if it is missing."""
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


@dataclass(frozen=True)
class Task:
    kind: str  # contains | classify
    public_id: str
    query: int | None  # a grid's query class (None for CLASSIFY)
    labels: tuple[int, ...]  # dataset label of the picture at each position / each option
    true_label: int | None = None  # a CLASSIFY task's picture: its dataset label
    # A grid's control positions; None: those whose picture holds the query (the default
    # campaign's controls are pictures of other classes).
    controls: frozenset[int] | None = None

    @property
    def size(self) -> int:
        return len(self.labels)


def read_tasks(campaign, grids: int, tasks: int) -> list[Task]:
    """The bench campaign's tasks with what the simulated workers need to answer them as the
    crowd simulator does: each picture holds its dataset label."""
    from collections import defaultdict

    from crowd.models import ClassifyOption, GridItem

    items = defaultdict(list)
    rows = GridItem.objects.filter(grid__campaign=campaign).order_by("grid_id", "position")
    for grid, query, label in rows.values_list(
        "grid__public_id", "grid__query_id", "image__label_id"
    ):
        items[(grid, query)].append(label)
    options = defaultdict(list)
    rows = ClassifyOption.objects.filter(task__campaign=campaign).order_by("task_id", "position")
    for task, label, true in rows.values_list(
        "task__public_id", "label_id", "task__image__label_id"
    ):
        options[(task, true)].append(label)
    return [Task("contains", g, q, tuple(ls)) for (g, q), ls in list(items.items())[:grids]] + [
        Task("classify", t, None, tuple(ls), true)
        for (t, true), ls in list(options.items())[:tasks]
    ]


def drop_campaign(name: str) -> None:
    """Delete a bench campaign, its HITs and its dataset."""
    from catalogue.models import Dataset
    from crowd.models import Hit
    from pipeline.models import Campaign

    Hit.objects.filter(campaign__name=name).delete()  # protected: gone first
    Campaign.objects.filter(name=name).delete()
    Dataset.objects.filter(name=name).delete()


def build_campaign(
    grids: int, tasks: int, name: str = CAMPAIGN, minimums: tuple[int, int] | None = None
) -> list[Task]:
    """The bench campaign `name` (reused when it already has enough tasks): `grids` CONTAINS
    grids of 48 pictures and `tasks` CLASSIFY tasks of 5 candidate labels, built with the ORM.
    `minimums`: (contains, classify) minimum answers of an adaptive campaign."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image as PILImage

    from catalogue.imports.processing import make_thumbnail
    from catalogue.models import Dataset, Image, LabelClass
    from crowd.models import ClassifyOption, ClassifyTask, ContainsGrid, GridItem
    from pipeline.models import Campaign
    from tests.crowd.factories import photo_jpeg

    campaign = Campaign.objects.filter(name=name).first()
    if campaign is not None:
        found = read_tasks(campaign, grids, tasks)
        queries = [t.query for t in found if t.kind == "contains"]
        if (
            len(found) == grids + tasks
            and len(set(queries)) == len(queries)
            and all(
                default_storage.exists(k)
                for k in Image.objects.filter(dataset=campaign.dataset).values_list(
                    "thumbnail_key", flat=True
                )[:1]
            )
        ):
            publish_tasks(campaign)
            return found
        drop_campaign(name)
    labels = list(LabelClass.objects.order_by("index")[:1000])
    if len(labels) < 100:
        raise SystemExit("The class catalogue is not loaded.")
    rng = random.Random(7)
    dataset = Dataset.objects.create(name=name)
    contains_min, classify_min = minimums or (None, None)
    campaign = Campaign.objects.create(
        name=name,
        dataset=dataset,
        contains_min_assignments=contains_min,
        classify_min_assignments=classify_min,
    )
    # 48 real pictures with thumbnails; every image row points at one of them.
    files = []
    for n in range(48):
        data = photo_jpeg(n)
        with PILImage.open(io.BytesIO(data)) as picture:
            thumb = make_thumbnail(picture, 256)
        key = default_storage.save(f"bench/{n}.jpg", ContentFile(data))
        files.append((key, default_storage.save(f"bench/{n}.t.jpg", ContentFile(thumb)), data))

    def image(n: int, label: LabelClass) -> Image:
        key, thumb, data = files[n % 48]
        return Image(
            dataset=dataset,
            source=f"/bench/{n}.JPEG",
            label=label,
            storage_key=key,
            thumbnail_key=thumb,
            sha256=f"{n:064d}",
            width=500,
            height=375,
            file_size=len(data),
        )

    pool = Image.objects.bulk_create(image(n, rng.choice(labels)) for n in range(48))
    # One grid per query: every grid shows the same 48 pictures, and an MTurk worker is not
    # shown two grids of one query with pictures in common (crowd.services.task_facts).
    made = ContainsGrid.objects.bulk_create(
        ContainsGrid(
            campaign=campaign,
            number=n + 1,
            query=query,
            public_id=secrets.token_urlsafe(12),
        )
        for n, query in enumerate(rng.sample(labels, grids))
    )
    items = []
    for grid in made:
        order = list(range(48))
        rng.shuffle(order)
        items += [
            GridItem(grid=grid, position=p, image=pool[i], is_control=i < 5)
            for p, i in zip(order, range(48), strict=True)
        ]
    GridItem.objects.bulk_create(items, batch_size=2000)
    singles = Image.objects.bulk_create(
        (image(48 + n, rng.choice(labels)) for n in range(tasks)), batch_size=2000
    )
    made_tasks = ClassifyTask.objects.bulk_create(
        ClassifyTask(campaign=campaign, image=img, public_id=secrets.token_urlsafe(12))
        for img in singles
    )
    options = []
    for task in made_tasks:
        candidates = [task.image.label] + rng.sample(
            [x for x in labels if x != task.image.label], 4
        )
        rng.shuffle(candidates)
        options += [
            ClassifyOption(task=task, label=x, position=p) for p, x in enumerate(candidates)
        ]
    ClassifyOption.objects.bulk_create(options, batch_size=2000)
    publish_tasks(campaign)
    return read_tasks(campaign, grids, tasks)


def publish_tasks(campaign) -> None:
    """A sandbox HIT `H<public id>` for every task, the hitId the simulated workers put in the
    page URL: answers through MTurk's parameters must name a HIT the campaign published. They
    stay pending (no sync runs here, but in --adaptive mode), which costs the submit nothing
    more. Each HIT has the assignments the task is published with: all 9 (the fixed design),
    or an adaptive campaign's minimum."""
    from datetime import timedelta

    from django.utils import timezone

    from crowd.models import ClassifyTask, ContainsGrid, Hit
    from pipeline.stages.adaptive import first_target

    now = timezone.now()
    rows = [
        Hit(
            campaign=campaign,
            kind=kind,
            grid=task if kind == "contains" else None,
            classify_task=task if kind == "classify" else None,
            sandbox=True,
            hit_id=f"H{task.public_id}",
            hit_type_id="BENCH",
            unique_request_token=f"{kind}-{task.public_id}",
            max_assignments=first_target(campaign, kind),
            reward="0.20" if kind == "contains" else "0.08",
            status="Assignable",
            created=now,
            expiration=now + timedelta(days=7),
        )
        for kind, model in (("contains", ContainsGrid), ("classify", ClassifyTask))
        for task in model.objects.filter(campaign=campaign)
    ]
    Hit.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def prepare_database(
    args: argparse.Namespace, name: str = CAMPAIGN, fresh: bool = False, **campaign
) -> list[Task]:
    """Migrate, load the class catalogue, and build the bench campaign `name` (`fresh`: anew,
    not reused; `campaign`: what else build_campaign takes)."""
    import django

    django.setup()
    from django.core.management import call_command

    from catalogue.models import LabelClass

    call_command("migrate", verbosity=0)
    if LabelClass.objects.filter(index__lt=1000).count() < 1000:
        call_command("load_imagenet_classes", "--no-hierarchy", verbosity=0)
    if fresh:
        drop_campaign(name)
    return build_campaign(args.grids, args.tasks, name, **campaign)


# ---------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen:
    if args.embedded:
        # What `make demo` runs.
        cmd = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    else:
        kind, workers, threads = SERVERS[args.server]
        if kind == "granian":
            cmd = [
                sys.executable, "-m", "config.serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--threads", str(threads),
            ]  # fmt: skip
        else:
            cmd = [
                str(Path(sys.executable).parent / "gunicorn"), "config.wsgi",
                "-c", "bench/gunicorn_conf.py", "-b", f"127.0.0.1:{port}", "-k", kind,
                "-w", str(workers), "--threads", str(threads), "--log-level", "warning",
            ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    threading.Thread(target=_drain, args=(server,), daemon=True).start()
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


SERVER_ERRORS: list[str] = []


def _drain(server: subprocess.Popen) -> None:
    """Keep the server's stderr flowing; remember its error lines for the report."""
    for line in server.stderr:
        if "Error" in line or "error" in line or "Traceback" in line:
            SERVER_ERRORS.append(line.rstrip())


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def database_backends(env: dict[str, str]) -> list[int]:
    """Process ids of the PostgreSQL backends serving the bench database."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cur.fetchall()]


def server_workers(master: int) -> list[int]:
    """The worker processes of a granian or gunicorn server: its main process's children."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


# ---------------------------------------------------------------- simulated workers


class Connection:
    """One keep-alive HTTP/1.1 connection on a plain socket, reopened after any failure.

    The same requests as a browser's (headers, body, keep-alive), read with less work than
    http.client (its header parsing goes through the email package): the 200 simulated
    workers share the two cores with the server being measured, and this cut their CPU per
    answer from 0.7-1.1 ms to 0.5. A response is read by its Content-Length, chunk by chunk
    when chunked, else to the end of the connection.
    """

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _request_bytes(self, method: str, path: str, body: bytes | None) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return head.encode() + b"\r\n" + (body or b"")

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock, self.buffer = self._open(), b""
        try:
            self.sock.sendall(self._request_bytes(method, path, body))
            return self._response()
        except Exception:
            self.close()
            raise

    def _response(self) -> tuple[int, bytes]:
        head = self._until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = self._exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int(self._until(b"\r\n").split(b";")[0], 16):
                data += self._exactly(size)
                self._until(b"\r\n")
            self._until(b"\r\n")  # no trailers are sent
        else:  # the body runs to the end of the connection
            data = self.buffer + b"".join(iter(lambda: self.sock.recv(65536), b""))
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += chunk

    def _until(self, marker: bytes) -> bytes:
        """The bytes before `marker` (consumed with it)."""
        while (end := self.buffer.find(marker)) < 0:
            self._fill()
        found, self.buffer = self.buffer[:end], self.buffer[end + len(marker) :]
        return found

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        found, self.buffer = self.buffer[:n], self.buffer[n:]
        return found

    def send_and_drop(self, path: str, body: bytes) -> None:
        """Send a POST and hang up without reading the answer: a browser whose request
        timed out (the server may well have stored it)."""
        self.close()
        with contextlib.closing(self._open()) as sock:
            sock.sendall(self._request_bytes("POST", path, body))

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock, self.buffer = None, b""


@dataclass
class Ack:
    kind: str
    assignment: str
    task: str
    answer: int
    sent: tuple[list[int], int | None]  # positions, main


@dataclass
class Stats:
    acks: dict[str, Ack] = field(default_factory=dict)
    ack_times: list[float] = field(default_factory=list)
    submit_ms: list[tuple[float, float]] = field(default_factory=list)  # (start, ms)
    page_ms: list[tuple[float, float]] = field(default_factory=list)
    start_delay_ms: list[tuple[float, float]] = field(default_factory=list)  # (due, ms late)
    failures: int = 0  # connection errors and 5xx, retried
    refused: list[str] = field(default_factory=list)  # 4xx: must not happen
    wrong_repeat: int = 0  # a repeat that returned another answer than the first
    gave_up: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Arrivals:
    """An open load: answers start at `rate` a second whether or not the server is slow, as
    crowd workers arrive. Each second brings exactly its share of starts, at random moments
    within it (Poisson-like bursts, but no second short of the rate). A simulated worker takes
    the next start once it is free; how late it takes it is recorded (0 while some worker is
    free; it grows when every worker is waiting on the server)."""

    def __init__(self, rate: float, stop: threading.Event, seed: str):
        self.rate, self.stop, self.rng = rate, stop, random.Random(seed)
        self.queue: queue.Queue[float] = queue.Queue()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        second, owed = time.monotonic(), 0.0
        while not self.stop.is_set():
            owed += self.rate
            starts = sorted(second + self.rng.random() for _ in range(int(owed)))
            owed -= int(owed)
            for due in starts:
                if self.stop.wait(max(0.0, due - time.monotonic())):
                    return
                self.queue.put(due)
            second += 1.0

    def take(self) -> float | None:
        """The due time of the next answer to start, or None once the run stops."""
        while not self.stop.is_set():
            with contextlib.suppress(queue.Empty):
                return self.queue.get(timeout=0.2)
        return None


def answer_contains(worker, task: Task, rng: random.Random) -> list[int]:
    """The selected positions, from the crowd simulator's answer model (simulation.contains_model):
    each picture holds its dataset label; controls are those of the query class."""
    truth = {p: frozenset([label]) for p, label in enumerate(task.labels)}
    controls = task.controls
    if controls is None:
        controls = {p for p, label in enumerate(task.labels) if label == task.query}
    return answer_grid(worker, task.query, range(task.size), truth, rng, controls)


def answer_classify(task: Task, rng: random.Random) -> tuple[list[int], int]:
    """(option positions present, main position), from the simulator's CLASSIFY model."""
    sim = SimTask(task.public_id, task.labels, ((task.true_label,),))
    selected, main = answer(sim, "honest-00", CLASSIFY_MODEL, rng)
    if not selected:  # missed every object: a worker would tick the label in front of them
        selected, main = (task.true_label,), task.true_label
    return sorted(task.labels.index(label) for label in selected), task.labels.index(main)


def simulate(
    n: int, run: str, tasks: list[Task], port: int, stop: threading.Event, stats: Stats,
    args: argparse.Namespace, crowd: list, arrivals: Arrivals | None,
) -> None:  # fmt: skip
    rng = random.Random(f"{run}-{n}")
    conn = Connection(port, args.timeout)
    worker_id = f"{run}W{n}"
    order = rng.sample(tasks, len(tasks))
    for k, task in enumerate(order):
        if stop.is_set():
            break
        if arrivals is not None:
            due = arrivals.take()
            if due is None:
                break
            with stats.lock:
                stats.start_delay_ms.append((due, (time.monotonic() - due) * 1000))
        assignment = f"{run}A{n}x{k}"
        config = fetch_config(conn, page_path(task, assignment, worker_id), stats, stop)
        if config is None:
            break
        stop.wait(rng.uniform(0.5, 1.5) * args.think_ms / 1000)
        send_answer(conn, config, task, assignment, crowd[n], rng, stats, args)
    conn.close()


def page_path(task: Task, assignment: str, worker_id: str) -> str:
    """The task's HIT page with MTurk's URL parameters, as MTurk opens it for a worker."""
    query = {
        "assignmentId": assignment,
        "hitId": f"H{task.public_id}",
        "workerId": worker_id,
        "turkSubmitTo": TURK_SUBMIT_TO,
    }
    return f"/hit/{task.kind}/{task.public_id}/?{urlencode(query)}"


def send_answer(
    conn: Connection, config: dict, task: Task, assignment: str, worker, rng: random.Random,
    stats: Stats, args: argparse.Namespace,
) -> Ack | None:  # fmt: skip
    """Answer the page as the simulated `worker` would (some answers first sent on a dropped
    connection, some again after their acknowledgement); the acknowledged answer, recorded
    in `stats`, or None."""
    body: dict = {"token": config["token"]}
    if task.kind == "contains":
        chosen, main = answer_contains(worker, task, rng), None
        body |= {"positions": chosen, "duration_ms": think_time_ms(worker, task.size, rng)}
    else:
        chosen, main = answer_classify(task, rng)
        body |= {"labels": chosen, "main": main, "duration_ms": rng.randint(2000, 60000)}
    raw = json.dumps(body).encode()
    if rng.random() < args.drop_rate:
        with contextlib.suppress(OSError):
            conn.send_and_drop(config["submit_url"], raw)
    answer = submit(conn, config["submit_url"], raw, stats)
    if answer is None:
        return None
    ack = Ack(task.kind, assignment, task.public_id, answer, (chosen, main))
    with stats.lock:
        stats.acks[assignment] = ack
        stats.ack_times.append(time.monotonic())
    if rng.random() < args.repeat_rate:  # a second click, or a retry after a timeout
        again = submit(conn, config["submit_url"], raw, stats)
        if again is not None and again != answer:
            with stats.lock:
                stats.wrong_repeat += 1
    return ack


def fetch_config(conn: Connection, page: str, stats: Stats, stop: threading.Event) -> dict | None:
    for attempt in range(20):
        start = time.monotonic()
        try:
            status, html = conn.request("GET", page)
        except OSError:
            status, html = 0, b""
        if status == 200:
            with stats.lock:
                stats.page_ms.append((start, (time.monotonic() - start) * 1000))
            return json.loads(CONFIG.search(html).group(1))
        with stats.lock:
            if status and status < 500:
                stats.refused.append(f"GET {status}")
                return None
            stats.failures += 1
        if stop.wait(0.05 * 2 ** min(attempt, 5)):
            return None
    return None


def submit(conn: Connection, url: str, raw: bytes, stats: Stats) -> int | None:
    """POST an answer until the server acknowledges it (retrying on failure, as the page's
    script lets the worker do); the stored answer's id, or None."""
    for attempt in range(20):
        start = time.monotonic()
        try:
            status, data = conn.request("POST", url, raw)
        except OSError:
            status, data = 0, b""
        ms = (time.monotonic() - start) * 1000
        if 200 <= status < 300:
            with stats.lock:
                stats.submit_ms.append((start, ms))
            return json.loads(data)["answer"]
        with stats.lock:
            if status and status < 500:
                stats.refused.append(f"POST {status} {data[:200]!r}")
                return None
            stats.failures += 1
        time.sleep(0.05 * 2 ** min(attempt, 5))
    with stats.lock:
        stats.gave_up += 1
    return None


def health_baseline(port: int, clients: int, seconds: float) -> float:
    """Requests/s of /health/ (one query, no template) from the same number of clients."""
    stop, counts = threading.Event(), [0] * clients

    def loop(i: int) -> None:
        conn = Connection(port, 10)
        while not stop.is_set():
            try:
                conn.request("GET", "/health/")
                counts[i] += 1
            except OSError:
                pass
        conn.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts) / seconds


# ---------------------------------------------------------------- checking the database


def check_database(stats: Stats, run: str) -> dict[str, int]:
    """lost: acknowledged answers missing; doubled: extra answers per assignment or per
    (worker, task); mismatched: stored answers whose positions differ from those sent."""
    from django.db import close_old_connections
    from django.db.models import Count

    from crowd.models import (
        Assignment,
        ClassifyAnswer,
        ClassifyAnswerLabel,
        ClassifyOption,
        ContainsAnswer,
        ContainsSelection,
    )

    close_old_connections()
    acks = stats.acks.values()
    lost = doubled = mismatched = 0
    for kind, model, task_field in (
        ("contains", ContainsAnswer, "grid"),
        ("classify", ClassifyAnswer, "task"),
    ):
        mine = model.objects.filter(worker__external_id__startswith=run)
        stored = dict(mine.values_list("pk", "assignment__external_id"))
        for ack in acks:
            if ack.kind == kind and stored.get(ack.answer) != ack.assignment:
                lost += 1
        for group in ("assignment", "worker"):
            fields = ["assignment"] if group == "assignment" else ["worker", task_field]
            doubled += sum(
                row["n"] - 1 for row in mine.values(*fields).annotate(n=Count("pk")).filter(n__gt=1)
            )
        if kind == "contains":
            got: dict[int, list[int]] = {}
            for answer, position in ContainsSelection.objects.filter(answer__in=stored).values_list(
                "answer", "item__position"
            ):
                got.setdefault(answer, []).append(position)
            mismatched += sum(
                sorted(got.get(a.answer, [])) != a.sent[0] for a in acks if a.kind == kind
            )
        else:
            where = {}
            for task, label, position in ClassifyOption.objects.filter(
                task__answers__in=stored
            ).values_list("task", "label", "position"):
                where[(task, label)] = position
            answers = dict(mine.values_list("pk", "task"))
            mains = dict(mine.values_list("pk", "main_label"))
            got = {}
            for answer, label in ClassifyAnswerLabel.objects.filter(answer__in=stored).values_list(
                "answer", "label"
            ):
                got.setdefault(answer, []).append(where[(answers[answer], label)])
            for a in acks:
                if a.kind == kind and a.answer in answers:
                    main = where.get((answers[a.answer], mains[a.answer]))
                    mismatched += (sorted(got.get(a.answer, [])), main) != a.sent
    # Assignments of this run with more than one answer of either kind.
    doubled += (
        Assignment.objects.filter(worker__external_id__startswith=run)
        .annotate(n=Count("contains_answer") + Count("classify_answer"))
        .filter(n__gt=1)
        .count()
    )
    unacked = sum(
        m.objects.filter(worker__external_id__startswith=run).count()
        for m in (ContainsAnswer, ClassifyAnswer)
    ) - len(stats.acks)
    return {"lost": lost, "doubled": doubled, "mismatched": mismatched, "unacked": unacked}


# ---------------------------------------------------------------- one run


def request_figures(stats, health: float, per_answer: Sequence[float]) -> dict[str, Any]:
    """The figures every mode prints after `acked`: failed and refused requests, the
    baseline's requests/s and CPU per answer (app, database, client)."""
    return {
        "failed_requests": stats.failures,
        "refused": len(stats.refused),
        "gave_up": stats.gave_up,
        "wrong_repeat": stats.wrong_repeat,
        "health_rps": health,
        "app_cpu_ms_per_answer": per_answer[0],
        "db_cpu_ms_per_answer": per_answer[1],
        "client_cpu_ms_per_answer": per_answer[2],
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(
    args: argparse.Namespace, tasks: list[Task], env: dict[str, str], rate: float,
    seconds: float, kill_worker: bool = False, baseline: bool = True,
) -> dict[str, float]:  # fmt: skip
    """One run against a fresh server: `rate` answers/s offered (an open load), or with rate
    0 a closed loop (each worker starts its next answer as soon as it has thought)."""
    port = free_port()
    server = start_server(args, env, port)
    run = f"L{secrets.token_hex(3)}"
    stats, stop = Stats(), threading.Event()
    killed = respawned = 0
    try:
        health = health_baseline(port, args.workers, 2.0) if baseline else float("nan")
        # The simulator's crowd (simulation.contains_model), a tenth of it spammers of every kind.
        crowd = make_crowd(
            args.workers, 0.1, random.Random(run), spammer_kinds=SPAMMER_KINDS, prefix=run
        )
        arrivals = Arrivals(rate, stop, run) if rate > 0 else None
        threads = [
            threading.Thread(
                target=simulate, args=(n, run, tasks, port, stop, stats, args, crowd, arrivals)
            )
            for n in range(args.workers)
        ]
        start = time.monotonic()
        for t in threads:
            t.start()
        if arrivals is not None:
            arrivals.thread.start()
        warm = start + args.warmup
        end = warm + seconds
        time.sleep(warm - time.monotonic())
        serving = [server.pid, *server_workers(server.pid)]
        backends = database_backends(env)
        cpu_before = cpu_seconds(serving), cpu_seconds(backends), time.process_time()
        if kill_worker:
            time.sleep(warm + seconds / 2 - time.monotonic())
            victim = server_workers(server.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed = victim
        time.sleep(max(0.0, end - time.monotonic()))
        serving = sorted({*serving, *server_workers(server.pid)})
        cpu_after = cpu_seconds(serving), cpu_seconds(backends), time.process_time()
        stop.set()
        for t in threads:
            t.join(timeout=60)
        if kill_worker:
            respawned = len(server_workers(server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    in_window = [ms for s, ms in stats.submit_ms if warm <= s < end]
    cold = [ms for s, ms in stats.submit_ms if s < warm]
    pages = [ms for s, ms in stats.page_ms if warm <= s < end]
    late = [ms for s, ms in stats.start_delay_ms if warm <= s < end]
    answers = sum(warm <= t < end for t in stats.ack_times)
    per_answer = [
        (b - a) * 1000 / max(answers, 1) for a, b in zip(cpu_before, cpu_after, strict=True)
    ]
    result = {
        "answers_per_s": answers / seconds,
        "offered_per_s": rate or float("nan"),
        "p50_ms": percentile(in_window, 0.50),
        "p99_ms": percentile(in_window, 0.99),
        "page_p50_ms": percentile(pages, 0.50),
        "page_p99_ms": percentile(pages, 0.99),
        "start_late_p99_ms": percentile(late, 0.99),
        "warmup_p99_ms": percentile(cold, 0.99),
        "acked": len(stats.acks),
        **request_figures(stats, health, per_answer),
        **check_database(stats, run),
    }
    if kill_worker:
        # The killed worker's CPU time went with it: no per-answer figure for the app.
        result |= {"app_cpu_ms_per_answer": float("nan"), "killed_pid": killed}
        result |= {"workers_after": respawned}
    for line in stats.refused[:5]:
        print("refused:", line)
    for line in SERVER_ERRORS[:5]:
        print("server:", line)
    return result


def show(name: str, r: dict[str, float]) -> None:
    print(
        f"{name:>12}: {r['answers_per_s']:6.1f} answers/s, submit p50 {r['p50_ms']:6.1f} ms "
        f"p99 {r['p99_ms']:6.1f} ms, page p50 {r['page_p50_ms']:6.1f} ms p99 "
        f"{r['page_p99_ms']:6.1f} ms, failed {r['failed_requests']}, refused {r['refused']}, "
        f"lost {r['lost']}, doubled {r['doubled']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, help="simulated workers (200; 50 embedded)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time")
    parser.add_argument(
        "--rate",
        type=float,
        help=f"answers/s offered, an open load (default {OFFERED_RATE:.0f}; 0: a closed loop, as "
        "--embedded)",
    )
    parser.add_argument(
        "--saturate-seconds",
        type=float,
        default=10.0,
        help="then a closed-loop run this long: the most answers/s the server gives (0: none)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds before the measured window (the cold start: every process fills its "
        "kept task content; its p99 is printed apart)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=400.0,
        help="mean time a worker looks at a page before submitting",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="client request timeout")
    parser.add_argument(
        "--repeat-rate",
        type=float,
        default=0.03,
        help="share of answers submitted again after their acknowledgement",
    )
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0.02,
        help="share of answers first sent on a connection dropped unread",
    )
    parser.add_argument("--grids", type=int, default=150)
    parser.add_argument("--tasks", type=int, default=350)
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
    parser.add_argument("--database-url", default=PG_URL)
    parser.add_argument(
        "--cache-url",
        default=CACHE_URL,
        help="the shared cache of the web processes, as in docker-compose.yml ('' for none)",
    )
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--kill-worker", action="store_true")
    mode.add_argument("--embedded", action="store_true")
    mode.add_argument("--compare", action="store_true")
    parser.add_argument(
        "--adaptive",
        action="store_true",
        help="an adaptive campaign answered in rounds, the sync and the adaptive decisions "
        "between them (bench/load_adaptive.py)",
    )
    args = parser.parse_args()  # fmt: skip
    if args.adaptive and (args.kill_worker or args.compare):
        parser.error("--adaptive runs alone or with --embedded")
    args.workers = args.workers or (50 if args.embedded else 200)
    if args.rate is None:
        args.rate = 0.0 if args.embedded else OFFERED_RATE

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))}
        env |= {"LOG_LEVEL": "WARNING", "FINELABEL_MEDIA_ROOT": str(Path(tmp) / "media")}
        if args.embedded:
            env |= {"FINELABEL_VAR_DIR": str(Path(tmp) / "var")}
            env.pop("FINELABEL_MEDIA_ROOT")  # the demo's own: var/media
        else:
            ensure_pg_database(args.database_url)
            env |= {"DATABASE_URL": args.database_url, "DATABASE_CONN_MAX_AGE": "600"}
            env |= {"FINELABEL_CACHE_URL": args.cache_url}
            if args.cache_url:
                import redis

                redis.Redis.from_url(args.cache_url).flushdb()  # every run starts cold
        env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(40)
        os.environ.update(env)
        if args.adaptive:
            from bench import load_adaptive

            result, saturated = load_adaptive.main(args, env), None
        else:
            result, saturated = fixed_design(args, env)
    report(args, result, saturated)


def fixed_design(
    args: argparse.Namespace, env: dict[str, str]
) -> tuple[dict[str, float], dict[str, float] | None]:
    """The default, --kill-worker, --embedded and --compare runs: (the run, the closed loop
    after it or None)."""
    started = time.monotonic()
    tasks = prepare_database(args)
    print(f"setup: {len(tasks)} tasks in {time.monotonic() - started:.0f} s; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    if args.compare:
        for name in SERVERS:
            args.server = name
            show(name, run_load(args, tasks, env, args.rate, args.seconds))
        args.server = DEFAULT_SERVER
    result = run_load(args, tasks, env, args.rate, args.seconds, args.kill_worker, args.baseline)
    saturated = None
    if args.rate > 0 and args.saturate_seconds > 0 and not args.kill_worker:
        saturated = run_load(args, tasks, env, 0.0, args.saturate_seconds, baseline=False)
    return result, saturated


def report(
    args: argparse.Namespace, result: dict[str, float], saturated: dict[str, float] | None
) -> None:
    """The summary lines, the last one key=value; exit status 1 when an answer was not kept
    right."""
    where = "runserver on SQLite" if args.embedded else f"{args.server} on PostgreSQL"
    load = f"{args.rate:.0f} answers/s offered" if args.rate else "a closed loop"
    measured = "every round measured" if args.adaptive else f"{args.seconds:.0f} s measured"
    print(f"{args.workers} simulated workers, {where}, {load}, think {args.think_ms:.0f} ms, "
          f"{measured}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    show("run", result)
    if saturated is not None:
        show("closed loop", saturated)
        result |= {
            "max_answers_per_s": saturated["answers_per_s"],
            "saturated_p50_ms": saturated["p50_ms"],
            "saturated_p99_ms": saturated["p99_ms"],
        }
        for key in BROKEN:
            result[key] += saturated[key]  # every answer of both runs must be kept right
    print(f"baseline /health/: {result['health_rps']:.0f} requests/s")
    if args.rate > 0 and not args.adaptive:  # rounds have tails: no window at the full rate
        met = result["answers_per_s"] >= TARGET_RATE and result["p99_ms"] < TARGET_P99_MS
        verdict = "met" if met else "not met"
        print(
            f"{TARGET_RATE:.0f} answers/s with submit p99 under {TARGET_P99_MS:.0f} ms: {verdict}"
        )
    first = ["answers_per_s", "p50_ms", "p99_ms", "lost", "doubled"]
    result["answers_vs_health"] = result["answers_per_s"] / result["health_rps"]
    keys = first + [k for k in result if k not in first]
    print(" ".join(_figure(k, result[k]) for k in keys))
    # The figures above either way; the exit status says whether every answer was kept right.
    broken = BROKEN + (ADAPTIVE_BROKEN if args.adaptive else ())
    if any(result.get(k) for k in broken) or (args.embedded and result.get("failed_requests")):
        sys.exit(1)


def _figure(key: str, value: float) -> str:
    if isinstance(value, float):
        precise = key.endswith(("_vs_health", "_saved"))
        return f"{key}={value:.3f}" if precise else f"{key}={value:.1f}"
    return f"{key}={value}"


if __name__ == "__main__":
    main()
