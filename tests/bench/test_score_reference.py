"""bench/score_reference.py scores the replay command's output as issue point 6 asks."""

from __future__ import annotations

import io
import json
from itertools import islice

import pytest
from django.core.management import call_command

from bench.reference_data import classify_dev_path
from bench.score_reference import score

CLASSIFY_DEV = classify_dev_path()
pytestmark = pytest.mark.skipif(not CLASSIFY_DEV.is_file(), reason=f"no {CLASSIFY_DEV}")


def published(n: int) -> list[dict]:
    with CLASSIFY_DEV.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in islice(lines, 0, None, 50)][:n]


def test_scores_the_command_output_and_counts_each_disagreement(tmp_path):
    multi = [r for r in published(60) if r["reference"]["num_objects"] > 1][:2]
    records = [*published(2), *multi]
    source, replayed = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    call_command(
        "aggregate_classify", input=str(source), output=str(replayed), stdout=io.StringIO()
    )
    images, agree, failures, from_output = score(replayed)
    assert (images, from_output, failures) == (4, 4, [])
    assert set(agree.values()) == {4}

    out = [json.loads(line) for line in replayed.read_text().splitlines()]
    out[0]["aggregate"]["main_label"] = -1  # a wrong main label
    objects = out[2]["aggregate"]["objects"]  # a multi-object image merged into one object
    out[2]["aggregate"]["objects"] = [{k: v for obj in objects for k, v in obj.items()}]
    replayed.write_text("".join(json.dumps(r) + "\n" for r in out))
    images, agree, failures, _ = score(replayed)
    assert agree == {
        "num_objects": 4,
        "main_label": 3,
        "partition": 3,
        "object_labels": 3,
        "identical": 2,
    }
    assert [f for f, _ in failures] == ["main_label,identical", "partition,object_labels,identical"]
    assert score(replayed, recompute=True)[1]["identical"] == 4  # recomputed: all agree
