"""Throughput of the CLASSIFY aggregation over the published images.

Run: `.venv/bin/python bench/aggregate.py [classify_dev.jsonl] [--repeat N]`.

Parses the file first (not timed), then aggregates every image, timing each one; with
--repeat, the fastest pass is reported. As a baseline in the same process it also times the
partition search against a plain enumeration of every label -> object assignment (the
method as the paper describes it) on the multi-object images, and prints the ratio.
Target: under 1 s for the 2,636 images of classify_dev.jsonl, worst image under 50 ms.
The last line is machine-readable:
`images=... seconds=... images_per_s=... worst_ms=...`.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reference_data import classify_dev_path
from pipeline.replay import read_records
from pipeline.rules.aggregation import (
    Response,
    aggregate_image,
    coselection_weights,
    internal_weight,
    max_k_cut,
    num_objects,
    partition_answers,
    partition_label_order,
)

DEFAULT_INPUT = classify_dev_path()

Image = tuple[list[Response], int | None]


def load(path: Path) -> list[Image]:
    with path.open(encoding="utf-8") as lines:
        return [
            ([Response.from_json(r) for r in record["responses"]], record["imagenet_label"])
            for record in read_records(lines)
        ]


def one_pass(images: Sequence[Image]) -> tuple[float, float]:
    """Total seconds and the slowest image's seconds."""
    worst = 0.0
    start = time.perf_counter()
    for responses, label in images:
        before = time.perf_counter()
        aggregate_image(responses, label)
        worst = max(worst, time.perf_counter() - before)
    return time.perf_counter() - start, worst


def enumerate_all(weights: Sequence[Sequence[int]], k: int) -> tuple[int, ...]:
    """Baseline: every assignment label -> object, the last best one kept."""
    best, chosen = None, ()
    for groups in itertools.product(range(k), repeat=len(weights)):
        cost = internal_weight(weights, groups)
        if best is None or cost <= best:
            best, chosen = cost, groups
    return chosen


def cut_problems(images: Sequence[Image]) -> list[tuple[list[list[int]], int]]:
    problems = []
    for responses, _ in images:
        k = num_objects(responses)
        if k > 1:
            answers = partition_answers(responses)
            problems.append((coselection_weights(partition_label_order(answers), answers), k))
    return problems


def time_search(problems: Sequence, search: Callable) -> float:
    start = time.perf_counter()
    for weights, k in problems:
        search(weights, k)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--repeat", type=int, default=3, help="passes; the fastest counts")
    args = parser.parse_args()
    images = load(args.input)
    seconds, worst = min(one_pass(images) for _ in range(max(args.repeat, 1)))
    problems = cut_problems(images)
    ours, baseline = time_search(problems, max_k_cut), time_search(problems, enumerate_all)
    print(
        f"partition search on {len(problems)} multi-object images: {ours:.3f} s, "
        f"full enumeration {baseline:.3f} s ({baseline / ours:.1f}x)"
    )
    print(
        f"images={len(images)} seconds={seconds:.3f} "
        f"images_per_s={len(images) / seconds:.0f} worst_ms={worst * 1000:.2f}"
    )


if __name__ == "__main__":
    main()
