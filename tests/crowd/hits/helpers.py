"""Reading a HIT page the way a program answering through HTTP does."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from django.urls import reverse

CONFIG = re.compile(r'<script id="hit-config" type="application/json">(.*?)</script>', re.S)


def mturk_query(assignment: str = "A1", worker: str = "W1", hit: str = "H1") -> dict[str, str]:
    return {
        "assignmentId": assignment,
        "workerId": worker,
        "hitId": hit,
        "turkSubmitTo": "https://workersandbox.mturk.com",
    }


def page_url(kind: str, public_id: str, **query: str) -> str:
    url = reverse(f"hit-{kind}", args=[public_id])
    return f"{url}?{urlencode(query)}" if query else url


def page_config(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return json.loads(CONFIG.search(response.content.decode()).group(1))


def post_json(client, url: str, body) -> tuple[int, dict]:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = client.post(url, raw, content_type="application/json")
    return response.status_code, response.json()


def nothing_stored() -> bool:
    """No answer, assignment or worker row: what a refused submit must leave."""
    from crowd.models import Assignment, ClassifyAnswer, ContainsAnswer, Worker

    return not (
        ContainsAnswer.objects.exists()
        or ClassifyAnswer.objects.exists()
        or Assignment.objects.exists()
        or Worker.objects.exists()
    )
