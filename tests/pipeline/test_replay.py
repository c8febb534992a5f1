"""Offline replay of the aggregation over JSONL, and the aggregate_classify command."""

from __future__ import annotations

import io
import json
from itertools import islice

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.reference_data import classify_dev_path
from pipeline.replay import ReplayError, aggregate_record, read_records, replay_file, replay_lines

CLASSIFY_DEV = classify_dev_path()
SAMPLE_EVERY = 7  # a few hundred published images, spread over the file

needs_reference = pytest.mark.skipif(
    not CLASSIFY_DEV.is_file(),
    reason=f"published reference data not found at {CLASSIFY_DEV} (shared/datasets)",
)

RECORD = {
    "image": "x.JPEG",
    "imagenet_label": 2,
    "responses": [
        {"selected": [1, 2], "main": 1},
        {"selected": [1, 2], "main": 2},
        {"selected": [1], "main": 1},
    ],
}


def jsonl(*records: object) -> list[str]:
    return [(r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records]


def reference_sample() -> list[dict]:
    with CLASSIFY_DEV.open(encoding="utf-8") as lines:
        return list(islice(read_records(lines), 0, None, SAMPLE_EVERY))


# --- against the published aggregates ---------------------------------------------------


@needs_reference
def test_replay_reproduces_published_aggregates_on_a_sample():
    sample = reference_sample()
    assert len(sample) > 300
    mismatched = [r["image"] for r in sample if aggregate_record(r)["aggregate"] != r["reference"]]
    assert mismatched == []


@needs_reference
def test_multi_object_images_in_the_sample_match_exactly():
    multi = [r for r in reference_sample() if r["reference"]["num_objects"] > 1]
    assert len(multi) > 50
    for record in multi:
        assert aggregate_record(record)["aggregate"] == record["reference"], record["image"]


# --- records and lines ------------------------------------------------------------------


def test_output_is_the_record_plus_its_aggregate():
    written: list[str] = []
    summary = replay_lines(jsonl({**RECORD, "extra": [1]}), written.append)
    out = json.loads(written[0])
    assert list(out) == ["image", "imagenet_label", "responses", "extra", "aggregate"]
    assert out["extra"] == [1]
    assert out["aggregate"]["num_objects"] == 2
    assert summary.images == 1 and summary.multi_object == 1


def test_blank_lines_are_skipped_but_counted():
    written: list[str] = []
    summary = replay_lines(["\n", *jsonl(RECORD), "  \n", *jsonl(RECORD)], written.append)
    assert summary.images == 2 and len(written) == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"responses": RECORD["responses"]}, "missing 'imagenet_label'"),
        ({**RECORD, "imagenet_label": "dog"}, "'imagenet_label' must be"),
        ({**RECORD, "responses": []}, "non-empty list 'responses'"),
        ({**RECORD, "responses": [{"main": 1}]}, "responses[0] needs a non-empty list"),
        ({**RECORD, "responses": [{"selected": [], "main": 1}]}, "non-empty list 'selected'"),
        ({**RECORD, "responses": [{"selected": ["1"], "main": 1}]}, "integer label ids"),
        ({**RECORD, "responses": [{"selected": [True], "main": 1}]}, "integer label ids"),
        ({**RECORD, "responses": [{"selected": [1, 1], "main": 1}]}, "repeats a label"),
        ({**RECORD, "responses": [{"selected": [1]}]}, "needs an integer 'main'"),
        ({**RECORD, "responses": ["x"]}, "responses[0] is not an object"),
    ],
)
def test_bad_line_names_its_line_number(bad, message):
    lines = jsonl(RECORD, RECORD) + ["\n"] + jsonl(bad, RECORD)
    with pytest.raises(ReplayError) as caught:
        replay_lines(lines, lambda _: None)
    assert caught.value.line == 4
    assert str(caught.value).startswith("line 4: ")
    assert message in str(caught.value)


def test_null_dataset_label_is_accepted():
    written: list[str] = []
    replay_lines(jsonl({**RECORD, "imagenet_label": None}), written.append)
    assert json.loads(written[0])["aggregate"]["imagenet_object"] is None


def test_failed_replay_leaves_existing_output_untouched(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(jsonl(RECORD, "{oops")))
    target.write_text("previous\n")
    with pytest.raises(ReplayError):
        replay_file(source, target)
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_replay_file_progress_and_summary(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(jsonl(RECORD, RECORD, RECORD)))
    ticks: list[int] = []
    summary = replay_file(source, target, progress=ticks.append)
    assert ticks == [1, 1, 1]
    assert len(target.read_text().splitlines()) == 3
    assert "3 images aggregated" in str(summary)


# --- the management command ---------------------------------------------------------------


def run_command(*args: str, **options: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("aggregate_classify", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@needs_reference
def test_command_end_to_end_on_published_sample(tmp_path):
    source, target = tmp_path / "sample.jsonl", tmp_path / "aggregated.jsonl"
    sample = reference_sample()[:60]
    source.write_text("".join(jsonl(*sample)))
    out, _ = run_command("--input", str(source), "--output", str(target))
    written = [json.loads(line) for line in target.read_text().splitlines()]
    assert [w["image"] for w in written] == [r["image"] for r in sample]
    assert all(w["aggregate"] == w["reference"] for w in written)
    assert f"{len(sample)} images aggregated" in out


def test_command_with_keyword_options_needs_no_database(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(jsonl(RECORD)))
    out, _ = run_command(input=str(source), output=str(target))
    assert json.loads(target.read_text())["aggregate"]["num_objects"] == 2
    assert "1 images aggregated" in out and "multi-object 1" in out


def test_command_strict_stops_at_a_bad_line(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(jsonl(RECORD, {"imagenet_label": 1})))
    with pytest.raises(CommandError, match="line 2: needs a non-empty list 'responses'"):
        run_command("--input", str(source), "--output", str(target), "--strict")
    assert not target.exists()


def test_command_reports_a_bad_line_and_aggregates_the_rest(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(jsonl(RECORD, {"imagenet_label": 1}, RECORD)))
    out, err = run_command("--input", str(source), "--output", str(target))
    assert "line 2: needs a non-empty list 'responses' (skipped)" in err
    assert "2 images aggregated" in out and "1 bad records skipped" in out
    written = [json.loads(line) for line in target.read_text().splitlines()]
    assert [w["aggregate"] is None for w in written] == [False, True, False]


def test_command_reports_missing_input(tmp_path):
    with pytest.raises(CommandError, match="No such input file"):
        run_command("--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o"))


def test_bad_records_can_be_reported_and_skipped():
    errors: list[ReplayError] = []
    written: list[str] = []
    bad = {**RECORD, "responses": [{"selected": [], "main": 1}]}
    lines = jsonl(RECORD, bad) + ["{oops\n"] + jsonl(RECORD)
    summary = replay_lines(lines, written.append, on_error=errors.append)
    assert [e.line for e in errors] == [2, 3]
    assert summary.images == 2 and summary.skipped == 2
    out = [json.loads(line) for line in written]
    assert len(out) == 3  # the unparseable line cannot be echoed
    assert out[1]["aggregate"] is None and "non-empty list 'selected'" in out[1]["error"]
    assert out[0]["aggregate"] == out[2]["aggregate"] is not None
