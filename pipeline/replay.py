"""Offline replay of the CLASSIFY aggregation over a JSONL file of answers.

The shared core behind `manage.py aggregate_classify`, the reference benchmarks and the
tests: the same `aggregate_answers` that the campaign's aggregation stage
(`pipeline.stages.aggregation`) runs on stored answers, applied to
records in the format of shared/datasets/classify_dev.jsonl (`imagenet_label`, `responses`
with `selected` and `main`; other fields are carried through untouched). Each output line is
the input record plus an `aggregate` field shaped like the published `reference`.

The answers in such a file have already been through quality control (they carry no worker
ids), so the replay aggregates them as they are. A bad line stops the replay with a
`ReplayError` that names its line number; the output file is written to a temporary file
beside it and moved into place only when every line went through, so a failed run leaves no
half-written output and a re-run replaces the whole file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import FinelabelError
from pipeline.rules.aggregation import aggregate_answers


class ReplayError(FinelabelError, ValueError):
    """A record that cannot be aggregated, with the line it came from."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _response_problem(response: Any) -> str | None:
    if not isinstance(response, dict):
        return "is not an object"
    selected = response.get("selected")
    if not isinstance(selected, list) or not selected:
        return "needs a non-empty list 'selected'"
    if not all(_is_int(label) for label in selected):
        return "'selected' must hold integer label ids"
    if len(set(selected)) != len(selected):
        return "'selected' repeats a label"
    if not _is_int(response.get("main")):
        return "needs an integer 'main'"
    return None


def record_problem(record: Any) -> str | None:
    """Why a parsed record cannot be aggregated, or None when it can."""
    if not isinstance(record, dict):
        return "a record must be a JSON object"
    if "imagenet_label" not in record:
        return "missing 'imagenet_label'"
    if record["imagenet_label"] is not None and not _is_int(record["imagenet_label"]):
        return "'imagenet_label' must be an integer class id or null"
    responses = record.get("responses")
    if not isinstance(responses, list) or not responses:
        return "needs a non-empty list 'responses'"
    for position, response in enumerate(responses):
        problem = _response_problem(response)
        if problem:
            return f"responses[{position}] {problem}"
    return None


def parse_line(line: str, number: int) -> dict[str, Any]:
    """One JSONL line as a checked record; ReplayError names the line otherwise."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ReplayError(number, f"not valid JSON ({error.msg} at column {error.colno})") from None
    problem = record_problem(record)
    if problem:
        raise ReplayError(number, problem)
    return record


def read_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Checked records from JSONL lines (blank lines are skipped)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_line(line, number)


def aggregate_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record plus its `aggregate` field."""
    answers = ((r["selected"], r["main"]) for r in record["responses"])
    return {**record, "aggregate": aggregate_answers(answers, record["imagenet_label"])}


@dataclass
class ReplaySummary:
    """What a replay did, for the command's closing line."""

    images: int = 0
    multi_object: int = 0
    main_differs: int = 0  # main label is not the dataset label
    dataset_label_dropped: int = 0  # the dataset label is in no object
    objects: dict[int, int] = field(default_factory=dict)  # number of objects -> images
    skipped: int = 0  # bad records reported and left unaggregated
    seconds: float = 0.0

    def add(self, aggregate: dict[str, Any], dataset_label: int | None) -> None:
        self.images += 1
        k = aggregate["num_objects"]
        self.objects[k] = self.objects.get(k, 0) + 1
        self.multi_object += k > 1
        self.main_differs += aggregate["main_label"] != dataset_label
        self.dataset_label_dropped += aggregate["imagenet_object"] is None

    def __str__(self) -> str:
        rate = self.images / self.seconds if self.seconds else 0.0
        spread = " ".join(f"{k}:{n}" for k, n in sorted(self.objects.items()))
        return (
            f"{self.images} images aggregated in {self.seconds:.2f} s ({rate:.0f}/s); "
            f"multi-object {self.multi_object}; main label differs from dataset label "
            f"{self.main_differs}; dataset label in no object {self.dataset_label_dropped}; "
            f"objects per image {spread or '-'}"
            + (f"; {self.skipped} bad records skipped" if self.skipped else "")
        )


def replay_lines(
    lines: Iterable[str],
    write: Callable[[str], Any],
    progress: Callable[[int], Any] | None = None,
    on_error: Callable[[ReplayError], Any] | None = None,
) -> ReplaySummary:
    """Aggregate every record of `lines`, writing one output line per record to `write`.

    A bad record raises ReplayError, unless `on_error` is given: then it is reported there,
    counted in `summary.skipped`, and the rest goes on. A skipped record that is a JSON object
    is still written, with `aggregate: null` and its `error`, so output lines match input
    records; a line that is not JSON at all is left out."""
    summary = ReplaySummary()
    start = time.perf_counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result = _replay_line(line, number)
        except ReplayError as error:
            if on_error is None:
                raise
            on_error(error)
            summary.skipped += 1
            _write_skipped(line, error, write)
        else:
            write(json.dumps(result) + "\n")
            summary.add(result["aggregate"], result["imagenet_label"])
        if progress:
            progress(1)
    summary.seconds = time.perf_counter() - start
    return summary


def _replay_line(line: str, number: int) -> dict[str, Any]:
    record = parse_line(line, number)
    try:
        return aggregate_record(record)
    except ValueError as error:
        raise ReplayError(number, str(error)) from error


def _write_skipped(line: str, error: ReplayError, write: Callable[[str], Any]) -> None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return
    if isinstance(record, dict):
        write(json.dumps({**record, "aggregate": None, "error": str(error)}) + "\n")


def count_records(path: Path) -> int:
    """Non-blank lines of a JSONL file (a total for progress bars)."""
    with Path(path).open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


def replay_file(
    input_path: Path,
    output_path: Path,
    progress: Callable[[int], Any] | None = None,
    on_error: Callable[[ReplayError], Any] | None = None,
) -> ReplaySummary:
    """Aggregate a JSONL file into another, replacing the output only on success."""
    output_path = Path(output_path)
    handle, temporary = tempfile.mkstemp(
        dir=output_path.parent, prefix=f".{output_path.name}.", suffix=".tmp"
    )
    try:
        with (
            Path(input_path).open(encoding="utf-8") as source,
            os.fdopen(handle, "w", encoding="utf-8") as target,
        ):
            summary = replay_lines(source, target.write, progress, on_error)
        os.replace(temporary, output_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return summary
