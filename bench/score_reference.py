"""How closely the aggregation reproduces the authors' published aggregates.

Run: `.venv/bin/python bench/score_reference.py [classify_dev.jsonl] [--show N]`.

Prints, as fractions of images, agreement on the number of objects, the main label, the exact
partition into objects (same groups of labels, order ignored) and the set of object labels
(each object's most selected label), plus whole-record equality with `reference` (order and
floats included); then lists a few disagreeing images to study.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.aggregation import object_labels  # noqa: E402
from pipeline.replay import aggregate_record, read_records  # noqa: E402

DEFAULT_INPUT = ROOT.parent / "shared" / "datasets" / "classify_dev.jsonl"

Aggregate = Mapping[str, Any]


def _partition(agg: Aggregate) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(obj) for obj in agg["objects"])


CHECKS: dict[str, Callable[[Aggregate, Aggregate], bool]] = {
    "num_objects": lambda a, b: a["num_objects"] == b["num_objects"],
    "main_label": lambda a, b: a["main_label"] == b["main_label"],
    "partition": lambda a, b: _partition(a) == _partition(b),
    "object_labels": lambda a, b: (
        set(object_labels(a["objects"])) == set(object_labels(b["objects"]))
    ),
    "identical": lambda a, b: a == b,
}


def score(path: Path) -> tuple[int, dict[str, int], list[tuple[str, dict[str, Any]]]]:
    """Images, agreements per check, and the records that fail some check."""
    agree = dict.fromkeys(CHECKS, 0)
    failures = []
    images = 0
    with path.open(encoding="utf-8") as lines:
        for record in read_records(lines):
            images += 1
            mine = aggregate_record(record)["aggregate"]
            failed = [
                name for name, check in CHECKS.items() if not check(mine, record["reference"])
            ]
            for name in CHECKS:
                agree[name] += name not in failed
            if failed:
                failures.append((",".join(failed), {**record, "aggregate": mine}))
    return images, agree, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--show", type=int, default=5, help="disagreeing images to list")
    args = parser.parse_args()
    images, agree, failures = score(args.input)
    for failed, record in failures[: args.show]:
        print(f"--- {record['image']} (label {record['imagenet_label']}): {failed}")
        for response in record["responses"]:
            print(f"    {response}")
        print(f"    reference: {json.dumps(record['reference'])}")
        print(f"    ours:      {json.dumps(record['aggregate'])}")
    print(f"images={images} disagreeing={len(failures)}")
    for name, count in agree.items():
        print(f"{name}={count / images:.4f} ({count}/{images})")


if __name__ == "__main__":
    main()
