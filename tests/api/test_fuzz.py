"""Fuzzing (issue #17): no request, however malformed, is a server error.

- Every GET operation of the project's own OpenAPI schema (drf-spectacular's, read from
  /api/schema/), with cases from schemathesis: valid ones (positive) and invalid ones
  (negative: wrong types, out-of-range numbers, any characters), with generated path
  parameters and with those of real objects, as a staff user and as a campaign owner; and
  each of EDGE_VALUES (NUL, "²", 5,000 digits...) in each of its parameters, which random
  generation rarely hits.
- The two HIT submit endpoints, with hypothesis-generated bodies: any JSON (NaN, huge
  numbers, deep nesting), bytes, and answers with a valid page token and wrong members.
- The HIT pages, with generated ids and MTurk parameters.

All through Django's test client (no network), each request in a savepoint rolled back after
it (a database error cannot spoil the next one). A 5xx, or an exception out of a view or a
streamed export, fails the test, which names each such request. Bounded: FUZZ_EXAMPLES
examples per operation and kind of case (FINELABEL_FUZZ_EXAMPLES, default 10): about 2,100
API requests in 30 s and 500 HIT requests in 2 s, on either database. FINELABEL_FUZZ_SEED
replays a run (its seed is in the failure message); `pytest -s` prints what ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from review import services
from review.models import (
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    ReviewItem,
    TruthLabel,
)
from tests.api.helpers import API_TEST_MARKS, client_for, make_world
from tests.crowd.factories import make_classify_task, make_grid, publish
from tests.crowd.hits.helpers import mturk_query, page_config, page_url

pytestmark = [
    pytest.mark.slow,
    *API_TEST_MARKS,
    # Generated HIT ids make cache keys memcached would refuse; the caches here take them.
    pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning"),
]
User = get_user_model()

FUZZ_EXAMPLES = int(os.environ.get("FINELABEL_FUZZ_EXAMPLES", "10"))
# A fixed seed by default, so that a run is repeatable; FINELABEL_FUZZ_SEED explores others.
FUZZ_SEED = int(os.environ.get("FINELABEL_FUZZ_SEED") or 20261206)
# Real objects' ids for path parameters, at most this many per operation.
REAL_VALUES = 3


def fuzz_settings(examples: int) -> Callable:
    """Hypothesis' settings of each fuzzed operation, on a @given function."""

    def decorate(test: Callable) -> Callable:
        return seed(FUZZ_SEED)(
            settings(
                max_examples=examples,
                deadline=None,
                database=None,  # nothing written to .hypothesis/
                phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected
                suppress_health_check=list(HealthCheck),
            )(test)
        )

    return decorate


@dataclass
class Fuzzer:
    """Sends requests, counts them and keeps every server error."""

    clients: dict[str, Client]
    failures: list[str] = field(default_factory=list)
    cases: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)

    def send(self, who: str, method: str, url: str, body: Any = None, group: str = "") -> None:
        self.cases[group or url] += 1
        began = time.monotonic()
        client = self.clients[who]
        where = f"{method} {url[:300]} as {who}" + (f" with {body[:200]!r}" if body else "")
        point = transaction.savepoint()
        try:
            if method == "GET":
                response = client.get(url)
            else:
                response = client.generic(method, url, body or b"", "application/json")
            if response.streaming:
                b"".join(response.streaming_content)
        except Exception as exc:  # raised out of the view (the test client re-raises it)
            self.failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:300]}")
            return
        finally:
            transaction.savepoint_rollback(point)
            self.seconds[group or url] += time.monotonic() - began
        if response.status_code >= 500:
            content = b"" if response.streaming else response.content[:300]
            self.failures.append(f"{where}: {response.status_code} {content!r}")

    def check(self, started: float) -> None:
        elapsed = time.monotonic() - started
        print(
            f"\nfuzz (seed {FUZZ_SEED}): {sum(self.cases.values())} requests, "
            f"{len(self.cases)} operations, {elapsed:.1f} s"
        )
        for name, count in sorted(self.cases.items()):
            print(f"  {count:5d}  {self.seconds[name]:5.1f} s  {name}")
        shown = "\n".join(self.failures[:30])
        assert not self.failures, (
            f"{len(self.failures)} server errors (FINELABEL_FUZZ_SEED={FUZZ_SEED}):\n{shown}"
        )


def _text(value: Any) -> str:
    """A generated value as query text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def query_string(query: dict[str, Any] | None) -> str:
    """Generated query parameters as a client sends them: a list is a repeated parameter,
    other structures their JSON."""
    pairs = []
    for name, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name), _text(item)))
    return urlencode(pairs, errors="surrogatepass")


def filled(path: str, parameters: dict[str, Any] | None) -> str:
    """An operation's path with its parameters, percent-encoded."""
    for name, value in (parameters or {}).items():
        path = path.replace("{" + name + "}", quote(_text(value), safe="", errors="surrogatepass"))
    return path


def url_of(case: schemathesis.Case) -> str:
    query = query_string(case.query)
    path = filled(case.operation.path, case.path_parameters)
    return f"{path}?{query}" if query else path


# Values that broke the parsing of parameters (issue #17) and their kin, each tried on every
# query and path parameter of every GET operation: random generation rarely hits them.
EDGE_VALUES = [
    "\x00",
    "a\x00b",
    "\u00b2",  # superscript two: str.isdigit() but not int()
    "\u0661\u0662",  # Arabic-Indic digits
    "9" * 5000,
    "9" * 25,
    "-1",
    "1.5",
    " 1",
    "1e3",
    "true",
    "null",
    ",",
    "%",
    "\U0001f4a5",
    "\ud800",  # a lone surrogate, sent as its (invalid) UTF-8 bytes
    "x" * 5000,
]


def sweep_edge_values(fuzzer: Fuzzer, operation: Any, real: list[dict[str, Any]]) -> None:
    """Each EDGE_VALUES value in each parameter of `operation`, the others valid (the path of
    a real object)."""
    group = f"GET {operation.path}"
    fixed = real[0] if real else {p.name: "1" for p in operation.path_parameters}
    path = filled(operation.path, fixed)
    for number, value in enumerate(EDGE_VALUES):
        who = ("staff", "alice")[number % 2]
        for parameter in operation.query:
            query = urlencode({parameter.name: value}, errors="surrogatepass")
            fuzzer.send(who, "GET", f"{path}?{query}", group=group)
        for name in fixed:
            fuzzer.send(who, "GET", filled(operation.path, {**fixed, name: value}), group=group)


@pytest.fixture
def fuzz_world(catalogue):
    """make_world's two campaigns (with every stage's data), plus review data on Alice's
    dataset (a ground-truth set, review items with votes, a slice, a human session) and a
    published grid and CLASSIFY task."""
    world = make_world()
    reviewer = User.objects.create_user("ann", password="x", is_staff=True)
    images, campaign = world["images"], world["campaign"]
    truth = GroundTruthSet.objects.create(name="imp", kind=GroundTruthSet.Kind.IMPORTED)
    for image, status in zip(images[:3], ["correct", "wrong", "unclear"], strict=True):
        TruthLabel.objects.create(truth_set=truth, image=image, label=image.label, status=status)
    items = [ReviewItem.objects.create(image=image, label=image.label) for image in images[:2]]
    services.cast_vote(items[0], reviewer, "incorrect", severity="major", category="fine_grained")
    services.cast_vote(items[1], reviewer, "correct")
    evaluation_slice = EvaluationSlice.objects.create(name="major", description="hard ones")
    evaluation_slice.images.set(images[:3])
    session = HumanSession.objects.create(
        name="s1", labeller=world["alice"], dataset_id=campaign.dataset_id
    )
    HumanPick.objects.create(
        session=session, image=images[0], label=images[0].label, duration_ms=900
    )
    grid = make_grid(campaign, size=12, controls=3)
    publish(grid, "H1")
    task = make_classify_task(campaign)
    publish(task, "HT1")
    clients = {
        "staff": client_for(reviewer),
        "alice": client_for(world["alice"]),
        "anyone": Client(),
    }
    for client in clients.values():
        client.raise_request_exception = True  # an exception out of a view: a failure
    return {**world, "clients": clients, "grid": grid, "task": task}


def fuzz_gets(fuzzer: Fuzzer, cases: st.SearchStrategy, group: str) -> None:
    @fuzz_settings(FUZZ_EXAMPLES)
    @given(case=cases, who=st.sampled_from(["staff", "alice"]))
    def run(case: schemathesis.Case, who: str) -> None:
        fuzzer.send(who, "GET", url_of(case), group=group)

    with contextlib.suppress(Unsatisfiable):  # negative cases of an operation with nothing
        run()  # to get wrong (no parameter besides the fixed path's)


def real_path_parameters(fuzzer: Fuzzer, operation) -> list[dict[str, Any]]:
    """Path parameters of real objects for `operation`, from its list endpoint: each listed
    row's field of the parameter's name (id, index, name)."""
    names = [parameter.name for parameter in operation.path_parameters]
    if len(names) != 1:
        return []
    listing = operation.path.split("{")[0]
    response = fuzzer.clients["staff"].get(listing)
    if response.status_code != 200:
        return []
    rows = response.json()["results"]
    return [{names[0]: row[names[0]]} for row in rows[:REAL_VALUES] if names[0] in row]


def test_every_get_operation_of_the_schema_answers_without_a_server_error(fuzz_world):
    started = time.monotonic()
    fuzzer = Fuzzer(fuzz_world["clients"])
    response = fuzzer.clients["staff"].get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    gets = [op for op in operations if op.method.upper() == "GET"]
    assert len(gets) >= 20, [op.path for op in gets]
    for operation in gets:
        group = f"GET {operation.path}"
        real = real_path_parameters(fuzzer, operation)
        sweep_edge_values(fuzzer, operation, real)
        for path_parameters in [None, *real]:
            for mode in (
                schemathesis.GenerationMode.POSITIVE,
                schemathesis.GenerationMode.NEGATIVE,
            ):
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)
                fuzz_gets(fuzzer, strategy, group)
    fuzzer.check(started)


# Any JSON value: NaN and infinities, huge integers, any text.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=15,
)
POSITIONS = st.one_of(st.lists(st.integers(min_value=-3, max_value=60), max_size=8), JSON_VALUES)


def submit_bodies(token: str) -> st.SearchStrategy[bytes]:
    answers = st.fixed_dictionaries(
        {},
        optional={
            "token": st.one_of(st.just(token), st.just(token[:-2] + "xx"), JSON_VALUES),
            "positions": POSITIONS,
            "labels": POSITIONS,
            "main": st.one_of(st.integers(min_value=-3, max_value=10), JSON_VALUES),
            "duration_ms": st.one_of(st.integers(), JSON_VALUES),
        },
    )
    depth = st.integers(min_value=1, max_value=20_000)
    return st.one_of(
        answers.map(lambda body: json.dumps(body).encode()),
        JSON_VALUES.map(lambda body: json.dumps(body).encode()),
        st.binary(max_size=100),
        depth.map(lambda n: ('{"positions": ' + "[" * n + "]" * n + "}").encode()),
        depth.map(lambda n: ('{"token": ' * n + "1" + "}" * n).encode()),
    )


def fuzz_submits(fuzzer: Fuzzer, kind: str, url: str, token: str) -> None:
    @fuzz_settings(FUZZ_EXAMPLES * 15)
    @given(body=submit_bodies(token))
    def run(body: bytes) -> None:
        fuzzer.send("anyone", "POST", url, body, group=f"POST /hit/{kind}/<id>/submit")

    run()


def fuzz_pages(fuzzer: Fuzzer, kind: str, public_id: str, hit: str) -> None:
    known = st.sampled_from(
        ["A1", "W1", hit, "ASSIGNMENT_ID_NOT_AVAILABLE", "https://workersandbox.mturk.com"]
    )
    names = st.sampled_from([*mturk_query(), "invite"]) | st.text(max_size=5)
    queries = st.dictionaries(names, known | st.text(max_size=150), max_size=5)

    @fuzz_settings(FUZZ_EXAMPLES * 10)
    @given(task_id=st.just(public_id) | st.text(max_size=40), query=queries)
    def run(task_id: str, query: dict[str, str]) -> None:
        url = f"/hit/{kind}/{quote(task_id, safe='', errors='surrogatepass')}/"
        if query:
            url += "?" + urlencode(query, errors="surrogatepass")
        fuzzer.send("anyone", "GET", url, group=f"GET /hit/{kind}/<id>/")

    run()


def test_the_hit_submits_and_pages_answer_without_a_server_error(fuzz_world):
    started = time.monotonic()
    fuzzer = Fuzzer(fuzz_world["clients"])
    anyone = fuzzer.clients["anyone"]
    tasks = [
        ("contains", fuzz_world["grid"].public_id, "H1"),
        ("classify", fuzz_world["task"].public_id, "HT1"),
    ]
    for kind, public_id, hit in tasks:
        config = page_config(anyone, page_url(kind, public_id, **mturk_query("A9", "W9", hit)))
        assert config["can_submit"]
        fuzz_submits(fuzzer, kind, config["submit_url"], config["token"])
        fuzz_pages(fuzzer, kind, public_id, hit)
    fuzzer.check(started)
