"""The HIT pages: framing policy, what they reveal (nothing about controls or dataset labels,
no image identifier shared between two tasks, no picture to a page that cannot be answered),
and local crowd mode with signed invite links."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core import signing
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.html import json_script

from crowd.hits import views as hit_views
from crowd.hits.access import page_access
from crowd.hits.content import TaskContent, classify_content, contains_content
from crowd.models import ContainsAnswer, Worker
from crowd.services.invites import invite_link
from tests.celery_worker import REDIS_URL
from tests.crowd.factories import make_campaign, make_classify_task, make_grid, publish
from tests.crowd.hits.helpers import CONFIG, mturk_query, page_config, page_url, post_json

pytestmark = pytest.mark.django_db
IMAGE_URL = re.compile(r'(?:src|data-full)="(/img/[^"]+)"')


@pytest.fixture
def grid():
    grid = make_grid(make_campaign())
    publish(grid, "H1")
    return grid


@pytest.fixture
def task(grid):
    task = make_classify_task(grid.campaign)
    publish(task, "HT1")
    return task


def hit_of(kind: str) -> str:
    return "H1" if kind == "contains" else "HT1"


def test_hit_pages_may_be_framed_by_mturk_only(client, grid, task):
    for url in (
        page_url("contains", grid.public_id, **mturk_query()),
        page_url("classify", task.public_id, **mturk_query(hit="HT1")),
    ):
        response = client.get(url)
        assert "X-Frame-Options" not in response
        assert response["Content-Security-Policy"] == (
            "frame-ancestors https://*.mturk.com https://mturk.com"
        )
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "same-origin"
        assert not response.cookies  # nothing in the page depends on a cookie
    # Every other page keeps Django's defaults.
    for url in ("/", "/admin/login/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" not in response


def test_frame_ancestors_come_from_settings(client, grid, settings):
    settings.FINELABEL_HIT_FRAME_ANCESTORS = ["https://lab.example.org"]
    response = client.get(page_url("contains", grid.public_id))
    assert response["Content-Security-Policy"] == "frame-ancestors https://lab.example.org"


def test_submit_works_without_csrf_cookie(grid):
    strict = Client(enforce_csrf_checks=True)
    config = page_config(strict, page_url("contains", grid.public_id, **mturk_query()))
    status, _ = post_json(
        strict, config["submit_url"], {"token": config["token"], "positions": [3]}
    )
    assert status == 201
    # The rest of the site still enforces CSRF.
    assert strict.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 403


def _cells(html: str) -> list[str]:
    return re.findall(r'<li class="cell">.*?</li>', html, re.S)


def test_the_grid_page_tells_no_control_apart_and_names_no_file_or_label(client, grid):
    html = client.get(page_url("contains", grid.public_id, **mturk_query())).content.decode()
    items = list(grid.items.select_related("image__label"))
    cells = _cells(html)
    assert len(cells) == 48
    # Blank out the per-image values: every cell, control or not, is then the same markup.
    blank = {
        re.sub(r'(data-position|data-full|src|alt|aria-label)="[^"]*"', r'\1=""', c) for c in cells
    }
    assert len(blank) == 1
    assert "control" not in html.lower()
    other_label = next(i.image.label for i in items if not i.is_control)
    for needle in (other_label.name, other_label.wnid, grid.query.wnid):
        assert needle not in html
    for item in items:
        for needle in (
            item.image.source,
            item.image.storage_key,
            item.image.thumbnail_key,
            "secret_source",
        ):
            assert needle not in html
    # Thumbnails in the grid, the larger image only on demand (data-full), in shuffled order.
    positions = [int(p) for p in re.findall(r'data-position="(\d+)"', html)]
    assert positions == list(range(48))
    assert html.count("<img ") == 48 + 1  # 48 thumbnails and the (empty) larger view
    for item in items:
        assert item.image.public_id not in html


def test_the_query_is_described_by_synonyms_gloss_and_wikipedia(client, grid):
    html = client.get(page_url("contains", grid.public_id)).content.decode()
    query = grid.query
    assert query.name in html and f"{query.name} alias" in html and query.gloss in html
    assert f'href="{query.wikipedia_url}" target="_blank" rel="noopener noreferrer"' in html


def test_the_classify_page_shows_options_in_their_recorded_order_and_hides_the_dataset_label(
    client, task
):
    html = client.get(
        page_url("classify", task.public_id, **mturk_query(hit="HT1"))
    ).content.decode()
    options = list(task.options.select_related("label").order_by("position"))
    shown = re.findall(r'<span class="name">([^<]+)</span>', html)
    assert shown == [o.label.name for o in options]
    assert options[-1].label == task.image.label  # the factory shows it last
    for option in options:
        assert option.label.gloss in html and option.label.wikipedia_url in html
        assert option.label.wnid not in html
    rows = re.findall(r'<li class="option">.*?</li>', html, re.S)
    blank = {re.sub(r'(value|aria-label|href)="[^"]*"|>[^<]*<', "", r) for r in rows}
    assert len(blank) == 1
    assert task.image.source not in html and task.image.storage_key not in html
    assert task.image.public_id not in html


def test_two_grid_pages_share_no_image_identifier(client, media_root):
    """A control recurs in grids of its query: its URL must not. Two grids showing the same
    five pictures (and a CLASSIFY task showing one of them) have no image URL, nor any run of
    eight characters of one, in common; no page names an image's public id."""
    grid = make_grid(make_campaign(), files=True)
    publish(grid, "H1")
    controls = [i.image for i in grid.items.filter(is_control=True)]
    again = make_grid(grid.campaign, query=grid.query, reuse=controls)
    publish(again, "H2")
    classify = make_classify_task(grid.campaign)
    classify.image = controls[0]
    classify.save()
    publish(classify, "HT2")
    pages = [
        client.get(page_url("contains", g.public_id, **mturk_query(hit=h))).content.decode()
        for g, h in ((grid, "H1"), (again, "H2"))
    ]
    pages.append(
        client.get(
            page_url("classify", classify.public_id, **mturk_query(hit="HT2"))
        ).content.decode()
    )
    urls = [set(IMAGE_URL.findall(html)) for html in pages]
    assert [len(u) for u in urls] == [96, 96, 1]

    def runs(page_urls: set[str]) -> set[str]:
        tokens = [u.removeprefix("/img/") for u in page_urls]
        return {t[i : i + 8] for t in tokens for i in range(len(t) - 7)}

    for a in range(3):
        for b in range(a + 1, 3):
            assert not urls[a] & urls[b]
            assert not runs(urls[a]) & runs(urls[b])
    for html in pages:
        for image in controls:
            assert image.public_id not in html
    # Every handle still serves its picture's bytes.
    for url in list(urls[0])[:3] + list(urls[2]):
        response = client.get(url)
        assert response.status_code == 200 and "Content-Disposition" not in response


def test_local_invite_links_store_answers_as_the_local_worker(client, grid):
    second = make_grid(grid.campaign)
    url = invite_link("contains", grid.public_id, "ann.lab")
    config = page_config(client, url)
    assert config["mode"] == "local" and config["can_submit"]
    status, result = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [4, 5]}
    )
    assert status == 201
    answer = ContainsAnswer.objects.get()
    assert (answer.worker.source, answer.worker.external_id) == ("local", "ann.lab")
    assert answer.assignment.external_id.startswith("local-")
    assert result["next_url"] == invite_link("contains", second.public_id, "ann.lab")
    # Reopening the link is the same assignment: a second submit returns the first answer.
    again = page_config(client, url)
    status, result = post_json(
        client, again["submit_url"], {"token": again["token"], "positions": [6]}
    )
    assert status == 200 and result["repeat"] and ContainsAnswer.objects.count() == 1


def test_forged_or_misplaced_invites_cannot_submit(client, grid):
    other = make_grid(grid.campaign)
    url = invite_link("contains", grid.public_id, "ann")
    path, _, token = url.partition("?invite=")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    self_made = signing.dumps({"k": "contains", "t": grid.public_id, "w": "bob"}, salt="x")
    for bad in (
        f"{path}?invite={tampered}",
        f"{path}?invite={self_made}",
        f"{page_url('contains', other.public_id)}?invite={token}",
    ):
        config = page_config(client, bad)
        assert config["mode"] == "closed" and not config["can_submit"]
        assert "invite link" in config["reason"]


def test_invite_links_command_prints_the_open_tasks(client, grid, task):
    make_grid(grid.campaign)
    out = StringIO()
    call_command(
        "invite_links",
        "--campaign",
        str(grid.campaign.pk),
        "--worker",
        "ann",
        "--base-url",
        "http://lab.example:8000/",
        stdout=out,
    )
    links = out.getvalue().split()
    assert len(links) == 3 and all(x.startswith("http://lab.example:8000/hit/") for x in links)
    assert sum("/hit/classify/" in x for x in links) == 1
    assert Worker.objects.filter(source="local", external_id="ann").exists()
    # Answer the first grid through its link: it is no longer listed.
    config = page_config(client, links[0].removeprefix("http://lab.example:8000"))
    post_json(client, config["submit_url"], {"token": config["token"], "positions": []})
    out = StringIO()
    call_command(
        "invite_links",
        "--campaign",
        grid.campaign.name,
        "--worker",
        "ann",
        "--kind",
        "contains",
        stdout=out,
    )
    assert len(out.getvalue().split()) == 1
    with pytest.raises(CommandError, match="No campaign"):
        call_command("invite_links", "--campaign", "999999", "--worker", "ann")
    with pytest.raises(CommandError, match="handle"):
        call_command("invite_links", "--campaign", str(grid.campaign.pk), "--worker", "a b")
    Worker.objects.filter(external_id="ann").update(blocked=True, blocked_reason="left")
    with pytest.raises(CommandError, match="blocked"):
        call_command("invite_links", "--campaign", str(grid.campaign.pk), "--worker", "ann")


@pytest.mark.parametrize("kind", ["contains", "classify"])
def test_a_tasks_content_is_rendered_once_and_each_worker_gets_its_own_token(
    client, grid, task, kind, django_assert_num_queries
):
    public_id = grid.public_id if kind == "contains" else task.public_id
    hit = hit_of(kind)
    first = client.get(page_url(kind, public_id, **mturk_query("A1", "W1", hit))).content.decode()
    # A grid asks whether this worker saw some of its pictures under its query (one query).
    with django_assert_num_queries(1 if kind == "contains" else 0):
        second = client.get(
            page_url(kind, public_id, **mturk_query("A2", "W2", hit))
        ).content.decode()
    for markup in ("{#", "#}", "{%", "{{"):  # no template syntax shows on the page
        assert markup not in first
    task_markup = re.compile(r"<main>.*?<div class=\"submit-row\">", re.S)
    assert task_markup.search(first).group(0) == task_markup.search(second).group(0)
    tokens = [json.loads(CONFIG.search(html).group(1))["token"] for html in (first, second)]
    assert tokens[0] != tokens[1]
    status, body = post_json(
        client,
        page_config(client, page_url(kind, public_id))["submit_url"],
        {
            "token": tokens[1],
            **({"positions": [0]} if kind == "contains" else {"labels": [0], "main": 0}),
        },
    )
    assert status == 201
    assert Worker.objects.get().external_id == "W2"


@pytest.mark.parametrize("kind", ["contains", "classify"])
def test_a_tasks_first_render_reads_it_in_two_queries(
    client, grid, task, kind, django_assert_num_queries
):
    """The task with its query class or picture, then its cells or options with their labels;
    no query per option (an option row deferring the task's id would cost one each). Then its
    facts (HITs, campaign state: one query, kept too) and, for a grid, the worker's check."""
    public_id = grid.public_id if kind == "contains" else task.public_id
    with django_assert_num_queries(2 + 1 + (kind == "contains")):
        response = client.get(page_url(kind, public_id, **mturk_query("A1", "W1", hit_of(kind))))
    assert response.status_code == 200


def test_an_unknown_task_is_not_found_and_not_kept(client, grid):
    missing = page_url("contains", "no-such-grid", **mturk_query())
    assert client.get(missing).status_code == 404
    assert client.get(missing).status_code == 404


@pytest.fixture
def shared_cache(settings):
    """Redis as the web processes' shared cache, as in the docker-compose stack."""
    if not REDIS_URL:
        pytest.skip("FINELABEL_TEST_REDIS_URL not set (make test sets it)")
    settings.CACHE_URL = REDIS_URL
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    # Not cleared: the same Redis carries the Celery tests; the keys name random public ids.
    return caches["default"]


def test_a_task_rendered_in_one_web_process_serves_the_others(
    client, grid, shared_cache, django_assert_num_queries
):
    url = page_url("contains", grid.public_id, **mturk_query("A1", "W1"))
    first = client.get(url).content.decode()
    caches["hits"].clear()  # another process: nothing kept locally
    with django_assert_num_queries(1):  # the worker's check
        second = client.get(page_url("contains", grid.public_id, **mturk_query("A2", "W2")))
    assert grid.query.gloss in second.content.decode() and grid.query.gloss in first
    config = page_config(client, page_url("contains", grid.public_id, **mturk_query("A3", "W3")))
    status, _ = post_json(
        client, config["submit_url"], {"token": config["token"], "positions": [4]}
    )
    assert status == 201  # the grid's members are kept at both levels now
    caches["hits"].clear()
    config = page_config(client, page_url("contains", grid.public_id, **mturk_query("A4", "W4")))
    with CaptureQueriesContext(connection) as queries:
        body = {"token": config["token"], "positions": [5]}
        status, _ = post_json(client, config["submit_url"], body)
    assert status == 201
    members = '"annotation_griditem"."position"'  # the read of the grid's members
    assert not any(members in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("kind", ["contains", "classify"])
def test_the_kept_page_frame_gives_the_page_the_template_gives(client, grid, task, kind):
    """Every access mode, twice each (the second from the kept frame): the page is the one
    the template renders with the same task and config, and a title's markup is escaped."""
    grid.query.name = 'fish & <b>"chips"</b>'
    grid.query.save()
    public_id = grid.public_id if kind == "contains" else task.public_id
    link = invite_link(kind, public_id, "ann")
    queries = [
        mturk_query("A1", "W1", hit_of(kind)),
        mturk_query("A2", "W2", hit_of(kind)),
        mturk_query("A3", "W3", "NOT-OURS"),
        {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE"},
        {**mturk_query(), "turkSubmitTo": "https://evil.example"},
        {"invite": link.split("invite=")[1]},
        {"invite": "forged"},
    ]
    content = (contains_content if kind == "contains" else classify_content)(public_id)
    for query in queries * 2:
        html = client.get(page_url(kind, public_id, **query)).content.decode()
        request = RequestFactory().get(page_url(kind, public_id, **query))
        access = page_access(request, kind, public_id)
        config = json.loads(CONFIG.search(html).group(1))
        expected = render_to_string(
            f"hits/{kind}.html",
            {
                "task": TaskContent(content.title, content.for_page(access.can_submit)),
                "access": access,
                "config_script": json_script(
                    {**hit_views.page_config(kind, public_id, access), "token": config.get("token")}
                    if "token" in config
                    else hit_views.page_config(kind, public_id, access),
                    "hit-config",
                ),
            },
        )
        assert html == expected
    if kind == "contains":
        assert "fish &amp; &lt;b&gt;&quot;chips&quot;&lt;/b&gt;</title>" in html
