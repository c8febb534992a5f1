"""How closely the aggregation reproduces the authors' published aggregates.

Run: `.venv/bin/python bench/score_reference.py [FILE.jsonl] [--recompute] [--show N]`.

FILE holds records with the authors' `reference` (default: catalogue/data/classify_dev.jsonl,
or the copy under FINELABEL_SHARED_DIR: bench/reference_data.py).
When its records carry an `aggregate` field (the output of
`manage.py aggregate_classify --input X --output FILE`), that output is what gets scored, so
the command itself is checked; otherwise, or with --recompute, each record is aggregated here
with the same function the command uses.

Prints, as fractions of images, agreement on the number of objects, the main label, the exact
partition into objects (same groups of labels, order ignored) and the set of object labels
(each object's most selected label), plus whole-record equality with `reference` (order and
floats included); then lists a few disagreeing images to study. The last line is
machine-readable: `images=... num_objects=... main_label=... partition=... object_labels=...
identical=...`.
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

from bench.reference_data import classify_dev_path
from pipeline.replay import aggregate_record, read_records
from pipeline.rules.aggregation import object_labels

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


def failed_checks(mine: Aggregate, reference: Aggregate) -> list[str]:
    """Names of the checks on which `mine` disagrees with `reference`."""
    return [name for name, check in CHECKS.items() if not check(mine, reference)]


def score(
    path: Path, recompute: bool = False
) -> tuple[int, dict[str, int], list[tuple[str, dict[str, Any]]], int]:
    """Images, agreements per check, the records failing some check, and how many records
    were scored from their own `aggregate` field (command output) rather than recomputed."""
    agree = dict.fromkeys(CHECKS, 0)
    failures = []
    images = from_output = 0
    with path.open(encoding="utf-8") as lines:
        for number, record in enumerate(read_records(lines), start=1):
            if "reference" not in record:
                raise SystemExit(f"{path}: record {number} has no 'reference' to score against")
            images += 1
            if "aggregate" in record and not recompute:
                mine = record["aggregate"]
                from_output += 1
            else:
                mine = aggregate_record(record)["aggregate"]
            failed = failed_checks(mine, record["reference"])
            for name in CHECKS:
                agree[name] += name not in failed
            if failed:
                failures.append((",".join(failed), {**record, "aggregate": mine}))
    return images, agree, failures, from_output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, default=classify_dev_path())
    parser.add_argument(
        "--recompute", action="store_true", help="ignore an `aggregate` field and recompute"
    )
    parser.add_argument("--show", type=int, default=5, help="disagreeing images to list")
    args = parser.parse_args()
    if not args.input.is_file():
        raise SystemExit(f"No such file: {args.input}")
    images, agree, failures, from_output = score(args.input, args.recompute)
    if not images:
        raise SystemExit(f"{args.input}: no records")
    for failed, record in failures[: args.show]:
        print(f"--- {record.get('image')} (label {record['imagenet_label']}): {failed}")
        for response in record["responses"]:
            print(f"    {response}")
        print(f"    reference: {json.dumps(record['reference'])}")
        print(f"    ours:      {json.dumps(record['aggregate'])}")
    source = "the file's aggregate field" if from_output == images else "recomputed"
    if 0 < from_output < images:
        source = f"mixed: {from_output} from the file's aggregate field, the rest recomputed"
    print(f"scored: {source}; images={images} disagreeing={len(failures)}")
    for name, count in agree.items():
        print(f"{name}={count / images:.4f} ({count}/{images})")
    print(f"images={images} " + " ".join(f"{n}={c / images:.4f}" for n, c in agree.items()))


if __name__ == "__main__":
    main()
