"""`manage.py paper_tables` on the published data, checked against counts made here in plain
Python from the authors' own aggregates (`reference`) and the published mistakes file; and
on hand-made records. No database: the tests have no database access."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bench.reference_data import classify_dev_path, shared_datasets_dir

REPO = Path(__file__).resolve().parents[2]
SUPERCLASSES = REPO / "catalogue" / "data" / "imagenet_superclasses.json"
MISTAKES = shared_datasets_dir() / "imagenet_mistakes" / "vit3b_mistakes.json"


def run(tmp_path: Path, *args: str) -> tuple[dict, str]:
    out, target = StringIO(), tmp_path / "tables.json"
    call_command("paper_tables", *args, "--json", str(target), stdout=out)
    return json.loads(target.read_text()), out.getvalue()


def expected_classify(records: list[dict]) -> dict:
    """The figures counted from the published aggregates, independently of the project."""
    groups = json.loads(SUPERCLASSES.read_text())
    fix = {"inverterbrates": "invertebrates"}
    names = [fix.get(n, n) for n in groups]
    sc = {i: fix.get(n, n) for n, members in groups.items() for i in members}
    cooc = {r: dict.fromkeys(names, 0) for r in names}
    conf = {r: dict.fromkeys(names, 0) for r in names}
    for rec in records:
        ref, own = rec["reference"], rec["imagenet_label"]
        conf[sc[own]][sc[ref["main_label"]]] += 1
        if ref["imagenet_object"] is None:
            continue
        named = [int(max(o.items(), key=lambda kv: kv[1][1])[0]) for o in ref["objects"]]
        others = {sc[lab] for j, lab in enumerate(named) if j != ref["imagenet_object"]}
        for column in others:
            cooc[sc[own]][column] += 1
    refs = [(rec["reference"], rec["imagenet_label"]) for rec in records]
    return {
        "images": len(records),
        "multi_object": sum(r["num_objects"] > 1 for r, _ in refs),
        "objects_histogram": {
            str(k): n for k, n in sorted(Counter(r["num_objects"] for r, _ in refs).items())
        },
        "main_label_differs": sum(r["main_label"] != own for r, own in refs),
        "main_object_differs": sum(
            r["imagenet_object"] is not None and r["main_object"] != r["imagenet_object"]
            for r, _ in refs
        ),
        "dataset_label_in_no_object": sum(r["imagenet_object"] is None for r, _ in refs),
        "superclass_cooccurrence": cooc,
        "superclass_confusion_main": conf,
    }


def test_classify_dev_tables_match_the_published_aggregates(tmp_path):
    path = classify_dev_path()
    if not path.is_file():
        pytest.skip(f"no {path}")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    tables, printed = run(tmp_path, "--classify", str(path))
    got = tables["classify"]
    for key, value in expected_classify(records).items():
        assert got[key] == value, key
    assert got["reference_checked"] == len(records) and got["reference_mismatches"] == 0
    assert "invertebrates" in got["superclass_cooccurrence"]
    assert "inverterbrates" not in got["superclass_confusion_main"]
    # The published data's proportions: about 2,156 / 6,761 multi-object, 650 / 6,761 main
    # object elsewhere.
    assert got["multi_object"] / got["images"] == pytest.approx(2156 / 6761, abs=0.01)
    assert got["main_object_differs"] / got["images"] == pytest.approx(650 / 6761, abs=0.01)
    assert f"main object is not the dataset label's object: {got['main_object_differs']}" in printed


def test_vit3b_mistakes_table_2(tmp_path):
    if not MISTAKES.is_file():
        pytest.skip(f"no {MISTAKES}")
    data = json.loads(MISTAKES.read_text())
    expected: dict[str, Counter] = {}
    for entry in data.values():
        severity = entry["failure severity"].lower()
        row = expected.setdefault(entry["failure category"], Counter())
        row["major" if severity == "major" else "minor"] += 1
    tables, printed = run(tmp_path, "--mistakes", str(MISTAKES))
    got = tables["mistakes"]
    assert got["total"] == len(data) == 378
    assert got["by_category"] == {
        cat: {"major": c["major"], "minor": c["minor"]} for cat, c in expected.items()
    }
    assert got["major"] == sum(c["major"] for c in expected.values())
    assert "classify" not in tables and "Reviewed mistakes: 378" in printed


def record(label: int, *answers: tuple[list[int], int], reference: dict | None = None) -> str:
    rec = {"image": f"img{label}", "imagenet_label": label}
    rec["responses"] = [{"selected": s, "main": m} for s, m in answers]
    if reference is not None:
        rec["reference"] = reference
    return json.dumps(rec)


def test_the_command_aggregates_itself_and_ignores_the_reference(tmp_path):
    """A false `reference` changes nothing but the mismatch count: the tables come from the
    project's aggregation of the answers."""
    two = ([151, 817], 817)  # a dog (151) and a sports car (817); the car is the main object
    lines = [
        record(151, two, two, ([151], 151), reference={"num_objects": 1}),
        record(1, ([1], 1), ([1], 1)),
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n")
    got = run(tmp_path, "--classify", str(path))[0]["classify"]
    assert (got["images"], got["multi_object"], got["objects_histogram"]) == (
        2,
        1,
        {"1": 1, "2": 1},
    )
    assert (got["main_label_differs"], got["main_object_differs"]) == (1, 1)
    assert got["reference_checked"] == 1 and got["reference_mismatches"] == 1
    # Fig 10b: the dog image holds a car; not the other way round.
    cooccurrence = got["superclass_cooccurrence"]
    assert cooccurrence["Dogs"]["vehicles"] == 1 and sum(cooccurrence["Dogs"].values()) == 1
    assert sum(cooccurrence["vehicles"].values()) == 0
    assert got["superclass_confusion_main"]["Dogs"] == {
        **dict.fromkeys(cooccurrence, 0),
        "vehicles": 1,
    }


def test_bad_input_is_one_line_of_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(record(1, ([1], 1)) + "\n{not json\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("paper_tables", "--classify", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="--classify"):
        call_command("paper_tables", stdout=StringIO())
    bad = tmp_path / "mistakes.json"
    bad.write_text(json.dumps({"x.JPEG": {"top_prediction": 3, "failure category": "?"}}))
    with pytest.raises(CommandError, match="x.JPEG"):
        call_command("paper_tables", "--mistakes", str(bad), stdout=StringIO())
