"""bench/load.py --adaptive: the load bench on an adaptive campaign, end to end.

The bench campaign `load-bench-adaptive` (built afresh each run: its answers count) asks 3
answers first of every grid and CLASSIFY task, at most 9 (Campaign.contains_min_assignments,
classify_min_assignments); its HITs are published with the 3. Each grid shows 13 pictures of
its query class (its 5 controls and 8 more), so its images are not all clear negatives.

Rounds, as on Mechanical Turk:
1. the simulated workers of bench/load.py take the HITs' available assignments (each worker
   at most one of a task, over all rounds) and answer through the HIT pages with MTurk's URL
   parameters, as in the default mode (same answer models, repeats, dropped connections,
   open load at --rate), then hand the assignment in to `BenchMarket`, the stand-in for
   MTurk's side (the answer id in the assignment's Answer, as the page's externalSubmit
   does);
2. then what the beat task `crowd.mturk.sync_open_hits` runs for the campaign: the sync
   (crowd.mturk.sync.sync_campaign: GetHIT, ListAssignmentsForHIT; the pending answers are
   confirmed) and crowd.mturk.adaptive.collect_more (pipeline.stages.adaptive.review weighs
   the confirmed answers with the stopping rules; unsettled HITs get
   CreateAdditionalAssignmentsForHIT), through crowd.mturk.gateway.MTurk with the market as
   its boto3 client;
until no HIT has an assignment left to take.

Every submit of every round is measured (there are no answers to spare for a warm-up;
`warmup_p99_ms` is the p99 of the first --warmup seconds, `after_warmup_p99_ms` that of the
rest: with the defaults, mostly the rounds after the first); `answers_per_s` counts the
acknowledged answers over the time the rounds took, the sync and decisions between them not
included (`sync_s`). Besides bench/load.py's checks (lost, doubled, mismatched, refused,
wrong_repeat must be 0), `unconfirmed` (acknowledged answers the sync did not confirm),
`waiting` (tasks still short of the answers asked of them at the end: every task must be
settled or at its maximum) and `over_maximum` (tasks with more counted answers than the
maximum) must be 0.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from bench import load
from simulation.contains_model import SPAMMER_KINDS, assign_workers, make_crowd

CAMPAIGN = "load-bench-adaptive"
MINIMUMS = (3, 3)  # contains, classify: the rules' smallest sample (the CONTAINS floor is 6)
QUERY_PICTURES = 8  # per grid, besides its 5 controls
MAX_ROUNDS = 12  # a round asks at least one more answer of some task, up to the maximum 9
ENDPOINT = "https://bench-market.invalid"  # not MTurk's live endpoint: sandbox HITs


# ---------------------------------------------------------------- campaign


def prepare(args: argparse.Namespace) -> list[load.Task]:
    """A fresh adaptive bench campaign; its tasks, grids with their controls."""
    import django

    django.setup()
    load.prepare_database(args, name=CAMPAIGN, fresh=True, minimums=MINIMUMS)
    from pipeline.models import Campaign

    campaign = Campaign.objects.get(name=CAMPAIGN)
    controls = show_query_pictures(campaign)
    tasks = load.read_tasks(campaign, args.grids, args.tasks)
    return [replace(t, controls=controls.get(t.public_id)) for t in tasks]


def show_query_pictures(campaign) -> dict[str, frozenset[int]]:
    """Point each grid's controls and QUERY_PICTURES other items at pictures of the grid's
    query (new image rows on the same files, so that no other grid shows them); grid public
    id -> its control positions."""
    from catalogue.models import Image
    from crowd.models import GridItem

    items = GridItem.objects.filter(grid__campaign=campaign).select_related("grid", "image")
    chosen, controls, taken = [], defaultdict(set), defaultdict(int)
    for item in items.order_by("grid_id", "-is_control", "position"):
        if item.is_control:
            controls[item.grid.public_id].add(item.position)
        elif taken[item.grid_id] >= QUERY_PICTURES:
            continue
        else:
            taken[item.grid_id] += 1
        chosen.append(item)
    copies = Image.objects.bulk_create(
        Image(
            dataset=campaign.dataset,
            source=f"/bench/q{item.pk}.JPEG",
            label_id=item.grid.query_id,
            storage_key=item.image.storage_key,
            thumbnail_key=item.image.thumbnail_key,
            sha256=f"q{item.pk:063d}",
            width=item.image.width,
            height=item.image.height,
            file_size=item.image.file_size,
        )
        for item in chosen
    )
    for item, image in zip(chosen, copies, strict=True):
        item.image = image
    GridItem.objects.bulk_update(chosen, ["image"], batch_size=2000)
    return {grid: frozenset(positions) for grid, positions in controls.items()}


# ---------------------------------------------------------------- MTurk's side


class BenchMarket:
    """What MTurk holds of the bench campaign's HITs, as the boto3 client the sync and the
    adaptive extension call (MTurk's operation names and shapes): each HIT's MaxAssignments
    and the assignments handed in."""

    def __init__(self, campaign) -> None:
        from crowd.models import Hit
        from simulation.mturk_market import ANSWER_NS

        self.answer_ns = ANSWER_NS  # the Answer's XML, as the simulator's market writes it
        self.meta = SimpleNamespace(endpoint_url=ENDPOINT)  # as a boto3 client has
        hits = Hit.objects.filter(campaign=campaign)
        self.hits = {h.hit_id: h for h in hits}
        self.most = {h.hit_id: h.max_assignments for h in hits}
        self.submitted: dict[str, dict[str, dict]] = defaultdict(dict)
        self.tokens: set[str] = set()
        self.added = 0  # assignments added by CreateAdditionalAssignmentsForHIT
        self.lock = threading.Lock()

    def available(self, hit_id: str) -> int:
        with self.lock:
            return self.most[hit_id] - len(self.submitted[hit_id])

    def hand_in(self, hit_id: str, assignment: str, worker: str, answer: int) -> None:
        """The worker submits the assignment to MTurk with our answer id, as the page does."""
        from django.utils import timezone

        xml = (
            f'<QuestionFormAnswers xmlns="{self.answer_ns}"><Answer><QuestionIdentifier>answer'
            f"</QuestionIdentifier><FreeText>{answer}</FreeText></Answer></QuestionFormAnswers>"
        )
        item = {
            "AssignmentId": assignment,
            "WorkerId": worker,
            "HITId": hit_id,
            "AssignmentStatus": "Submitted",
            "SubmitTime": timezone.now(),
            "Answer": xml,
        }
        with self.lock:
            self.submitted[hit_id][assignment] = item

    def get_hit(self, HITId: str) -> dict:  # noqa: N803 (MTurk's parameter names)
        hit, left = self.hits[HITId], self.available(HITId)
        return {
            "HIT": {
                "HITId": HITId,
                "HITStatus": "Assignable" if left > 0 else "Reviewable",
                "MaxAssignments": self.most[HITId],
                "Expiration": hit.expiration,
                "NumberOfAssignmentsPending": 0,
                "NumberOfAssignmentsAvailable": left,
            }
        }

    def list_assignments_for_hit(self, HITId: str, **params: Any) -> dict:  # noqa: N803
        statuses = set(params.get("AssignmentStatuses") or ["Submitted"])
        with self.lock:
            listed = [
                a for a in self.submitted[HITId].values() if a["AssignmentStatus"] in statuses
            ]
        return {"Assignments": listed, "NumResults": len(listed)}

    def create_additional_assignments_for_hit(
        self,
        HITId: str,  # noqa: N803
        NumberOfAdditionalAssignments: int,  # noqa: N803
        UniqueRequestToken: str,  # noqa: N803
    ) -> dict:
        with self.lock:
            if UniqueRequestToken not in self.tokens:  # MTurk does a token's work once
                self.tokens.add(UniqueRequestToken)
                self.most[HITId] += NumberOfAdditionalAssignments
                self.added += NumberOfAdditionalAssignments
        return {}

    def update_expiration_for_hit(self, HITId: str, ExpireAt) -> dict:  # noqa: N803
        self.hits[HITId].expiration = ExpireAt
        return {}


# ---------------------------------------------------------------- rounds


@dataclass
class Rounds:
    """What the rounds came to, beside load.Stats."""

    asked: list[int] = field(default_factory=list)  # assignments open at each round's start
    seconds: float = 0.0  # answering, summed over rounds
    sync_s: float = 0.0  # sync and decisions between rounds
    cpu: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # app, db, client
    first_start: float = 0.0


def plan_round(
    tasks: list[load.Task], market: BenchMarket, answered: dict[str, set[int]], workers: int,
    rng: random.Random,
) -> list[list[load.Task]]:  # fmt: skip
    """Each worker's tasks this round: every available assignment, taken by a worker who has
    not answered the task before, the load spread evenly."""
    needing = []
    for index, task in enumerate(tasks):
        left = market.available(f"H{task.public_id}")
        if left > 0:
            needing.append((index, left, frozenset(answered[task.public_id])))
    queues: list[list[load.Task]] = [[] for _ in range(workers)]
    for index, chosen in assign_workers(needing, workers, rng).items():
        for w in chosen:
            queues[w].append(tasks[index])
            answered[tasks[index].public_id].add(w)
    for queue in queues:
        rng.shuffle(queue)
    return queues


def worker_round(
    n: int, run: str, queue: list[load.Task], first: int, port: int, stop: threading.Event,
    stats: load.Stats, args: argparse.Namespace, crowd: list, arrivals: load.Arrivals | None,
    market: BenchMarket,
) -> None:  # fmt: skip
    """One simulated worker's answers of a round (load.simulate's steps), each acknowledged
    answer handed in to the market."""
    rng = random.Random(f"{run}-{n}-{first}")
    conn = load.Connection(port, args.timeout)
    worker_id = f"{run}W{n}"
    for k, task in enumerate(queue, start=first):
        if arrivals is not None:
            due = arrivals.take()
            if due is None:
                break
            with stats.lock:
                stats.start_delay_ms.append((due, (time.monotonic() - due) * 1000))
        assignment = f"{run}A{n}x{k}"
        config = load.fetch_config(conn, load.page_path(task, assignment, worker_id), stats, stop)
        if config is None:
            continue
        stop.wait(rng.uniform(0.5, 1.5) * args.think_ms / 1000)
        ack = load.send_answer(conn, config, task, assignment, crowd[n], rng, stats, args)
        if ack is not None:
            market.hand_in(f"H{task.public_id}", assignment, worker_id, ack.answer)
    conn.close()


def answer_round(
    queues: list[list[load.Task]], done: list[int], run: str, port: int, server, env,
    stats: load.Stats, args: argparse.Namespace, crowd: list, market: BenchMarket,
    rounds: Rounds,
) -> None:  # fmt: skip
    """Every worker answers its queue; the round's time and CPU added to `rounds`."""
    stop = threading.Event()
    arrivals = load.Arrivals(args.rate, stop, f"{run}-{len(rounds.asked)}") if args.rate else None
    threads = [
        threading.Thread(
            target=worker_round,
            args=(n, run, q, done[n], port, stop, stats, args, crowd, arrivals, market),
        )
        for n, q in enumerate(queues)
    ]
    serving = [server.pid, *load.server_workers(server.pid)]
    backends = load.database_backends(env)
    before = load.cpu_seconds(serving), load.cpu_seconds(backends), time.process_time()
    start = time.monotonic()
    rounds.first_start = rounds.first_start or start
    for t in threads:
        t.start()
    if arrivals is not None:
        arrivals.thread.start()
    for t in threads:
        t.join()
    stop.set()
    rounds.seconds += time.monotonic() - start
    serving = sorted({*serving, *load.server_workers(server.pid)})
    backends = sorted({*backends, *load.database_backends(env)})
    after = load.cpu_seconds(serving), load.cpu_seconds(backends), time.process_time()
    for i in range(3):
        rounds.cpu[i] += after[i] - before[i]
    for n, q in enumerate(queues):
        done[n] += len(q)


def between_rounds(campaign, market: BenchMarket) -> tuple[int, int]:
    """What the beat task runs for the campaign (crowd.mturk.tasks.sync_open_hits): the sync,
    then the adaptive decisions and extensions; (answers confirmed, assignments added)."""
    from crowd.mturk.adaptive import collect_more
    from crowd.mturk.gateway import MTurk
    from crowd.mturk.sync import sync_campaign

    mturk = MTurk(client=market, campaign=campaign)
    report = sync_campaign(mturk, campaign)
    return report.confirmed, collect_more(mturk, campaign)


def run_adaptive(
    args: argparse.Namespace, tasks: list[load.Task], env: dict[str, str]
) -> dict[str, float]:
    """Rounds of answers and decisions until no assignment is left; the figures."""
    from django.db import close_old_connections

    from pipeline.models import Campaign

    campaign = Campaign.objects.get(name=CAMPAIGN)
    market = BenchMarket(campaign)
    port = load.free_port()
    server = load.start_server(args, env, port)
    run = f"A{secrets.token_hex(3)}"
    stats, rounds = load.Stats(), Rounds()
    rng = random.Random(run)
    crowd = make_crowd(args.workers, 0.1, rng, spammer_kinds=SPAMMER_KINDS, prefix=run)
    answered: dict[str, set[int]] = defaultdict(set)
    done = [0] * args.workers
    try:
        health = load.health_baseline(port, args.workers, 2.0) if args.baseline else float("nan")
        while len(rounds.asked) < MAX_ROUNDS:
            queues = plan_round(tasks, market, answered, args.workers, rng)
            asked = sum(len(q) for q in queues)
            if not asked:
                break
            rounds.asked.append(asked)
            acked = len(stats.acks)
            answer_round(queues, done, run, port, server, env, stats, args, crowd, market, rounds)
            started = time.monotonic()
            close_old_connections()
            confirmed, added = between_rounds(campaign, market)
            rounds.sync_s += time.monotonic() - started
            print(
                f"round {len(rounds.asked)}: {asked} assignments taken, "
                f"{len(stats.acks) - acked} answers acknowledged, {confirmed} confirmed by the "
                f"sync; {added} more assignments asked for ({time.monotonic() - started:.1f} s)"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    return figures(args, campaign, stats, rounds, run, market, health)


def figures(
    args: argparse.Namespace, campaign, stats: load.Stats, rounds: Rounds, run: str,
    market: BenchMarket, health: float,
) -> dict[str, float]:  # fmt: skip
    """The default mode's figures over every round, and what adaptive collection saved."""
    warm = rounds.first_start + args.warmup
    submits = [ms for _, ms in stats.submit_ms]
    answers = len(stats.acks)
    per_answer = [c * 1000 / max(answers, 1) for c in rounds.cpu]
    result = {
        "answers_per_s": answers / max(rounds.seconds, 1e-9),
        "offered_per_s": args.rate or float("nan"),
        "p50_ms": load.percentile(submits, 0.50),
        "p99_ms": load.percentile(submits, 0.99),
        "page_p50_ms": load.percentile([ms for _, ms in stats.page_ms], 0.50),
        "page_p99_ms": load.percentile([ms for _, ms in stats.page_ms], 0.99),
        "start_late_p99_ms": load.percentile([ms for _, ms in stats.start_delay_ms], 0.99),
        "warmup_p99_ms": load.percentile([ms for s, ms in stats.submit_ms if s < warm], 0.99),
        "after_warmup_p99_ms": load.percentile(
            [ms for s, ms in stats.submit_ms if s >= warm], 0.99
        ),
        "acked": answers,
        **load.request_figures(stats, health, per_answer),
        **load.check_database(stats, run),
        **collection(campaign, stats, run),
        "rounds": len(rounds.asked),
        "extended": market.added,
        "sync_s": rounds.sync_s,
    }
    for line in stats.refused[:5]:
        print("refused:", line)
    for line in load.SERVER_ERRORS[:5]:
        print("server:", line)
    return result


def collection(campaign, stats: load.Stats, run: str) -> dict[str, float]:
    """Answers counted against the fixed design, and the adaptive checks."""
    from crowd.models import ClassifyAnswer, ContainsAnswer, Verification
    from pipeline.stages import adaptive

    collected = fixed = waiting = over = 0
    for kind in adaptive.KINDS:
        _, maximum = adaptive.bounds(campaign, kind)
        counted = adaptive.counted(campaign, kind)
        collected += sum(counted.values())
        fixed += len(counted) * maximum
        over += sum(n > maximum for n in counted.values())
        waiting += adaptive.waiting(campaign, kind)
        full = sum(n == maximum for n in counted.values())
        print(
            f"{kind}: {sum(counted.values())} answers counted of the fixed design's "
            f"{len(counted) * maximum}; {full} of {len(counted)} tasks at their maximum"
        )
    confirmed = sum(
        m.objects.filter(
            worker__external_id__startswith=run,
            pk__in=[a.answer for a in stats.acks.values()],
            verification=Verification.CONFIRMED,
        ).count()
        for m in (ContainsAnswer, ClassifyAnswer)
    )
    return {
        "adaptive_answers_saved": 1 - collected / max(fixed, 1),
        "answers_collected": collected,
        "answers_fixed": fixed,
        "unconfirmed": len(stats.acks) - confirmed,
        "waiting": waiting,
        "over_maximum": over,
    }


def main(args: argparse.Namespace, env: dict[str, str]) -> dict[str, float]:
    """The adaptive run: set up, rounds, figures (printed by load.main)."""
    started = time.monotonic()
    tasks = prepare(args)
    print(
        f"setup: {len(tasks)} tasks of an adaptive campaign (minimums {MINIMUMS}, at most 9) "
        f"in {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.2f}"
    )
    result = run_adaptive(args, tasks, env)
    print(
        f"answers_saved={result['adaptive_answers_saved']:.3f} ({result['answers_collected']} "
        f"answers counted, the fixed design asks {result['answers_fixed']}) in "
        f"{result['rounds']} rounds, {result['extended']} assignments added by "
        f"CreateAdditionalAssignmentsForHIT; sync and decisions {result['sync_s']:.1f} s"
    )
    return result
