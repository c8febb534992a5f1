"""`paper_tables --mistakes`: Vasudevan et al.'s WordNet distance (siblings at 1) of each
published mistake to the image's closest label, by category, checked against a count made
here from the published file, timm's ReaL lists and nltk's own `Synset.hypernym_distances`.
No database."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path
from statistics import median

import pytest
from django.core.management import CommandError, call_command

from bench.reference_data import shared_datasets_dir

MISTAKES = shared_datasets_dir() / "imagenet_mistakes" / "vit3b_mistakes.json"


def run(tmp_path: Path, *args: str) -> dict:
    target = tmp_path / "tables.json"
    call_command("paper_tables", *args, "--json", str(target), stdout=StringIO())
    return json.loads(target.read_text())["mistakes"]


def nltk_ancestors(index: int) -> dict:
    """The ancestors of ImageNet class `index` with their fewest steps up, from nltk."""
    from nltk.corpus import wordnet as wn
    from timm.data import ImageNetInfo

    wnid = ImageNetInfo("imagenet-1k").label_names()[index]
    synset = wn.synset_from_pos_and_offset("n", int(wnid[1:]))
    steps: dict = {}
    for ancestor, distance in synset.hypernym_distances():
        steps[ancestor] = min(distance, steps.get(ancestor, distance))
    return steps


def lca_steps(a: dict, b: dict) -> int | None:
    common = [max(a[s], b[s]) for s in a.keys() & b.keys()]
    return min(common) if common else None


def test_vit3b_distances_by_category_match_an_independent_count(tmp_path):
    if not MISTAKES.is_file():
        pytest.skip(f"no {MISTAKES}")
    got = run(tmp_path, "--mistakes", str(MISTAKES))  # loads WordNet for nltk too
    import timm

    real_path = Path(timm.__file__).parent / "data" / "_info" / "imagenet_real_labels.json"
    real = json.loads(real_path.read_text())
    cache: dict[int, dict] = {}

    def ancestors(i: int) -> dict:
        return cache.setdefault(i, nltk_ancestors(i))

    per_category: dict[str, list] = {}
    for name, entry in json.loads(MISTAKES.read_text()).items():
        labels = real[int(name.split("_")[-1].split(".")[0]) - 1]
        found = [lca_steps(ancestors(entry["top_prediction"]), ancestors(lab)) for lab in labels]
        found = [d for d in found if d is not None]
        per_category.setdefault(entry["failure category"], []).append(min(found, default=None))
    table = got["wordnet_distance_by_category"]
    assert got["wordnet_distance_labels"] == "real"
    assert list(table) == list(per_category)
    for category, distances in per_category.items():
        measured = [d for d in distances if d is not None]
        counts = Counter(str(d) for d in measured)
        if len(measured) < len(distances):
            counts["unknown"] = len(distances) - len(measured)
        assert table[category]["histogram"] == dict(counts), category
        assert table[category]["mistakes"] == len(distances)
        assert table[category]["median"] == median(measured)
    assert sum(row["mistakes"] for row in table.values()) == 378


def test_labels_file_and_its_errors(tmp_path):
    mistakes = tmp_path / "m.json"
    mistakes.write_text(
        json.dumps(
            {
                "a.JPEG": {"top_prediction": 152, "failure category": "Fine-grained error",
                           "failure severity": "Minor"},
                "b.JPEG": {"top_prediction": 817, "failure category": "Spurious Correlation",
                           "failure severity": "Major"},
            }
        )
    )  # fmt: skip
    labels = tmp_path / "labels.json"
    # a: Chihuahua (151) and Japanese spaniel (152) are both toy dogs: siblings, 1 step.
    labels.write_text(json.dumps({"a": 151, "b.JPEG": [], "c": [1]}))
    got = run(tmp_path, "--mistakes", str(mistakes), "--labels", str(labels))
    table = got["wordnet_distance_by_category"]
    assert table["Fine-grained error"]["histogram"] == {"1": 1}
    assert table["Spurious Correlation"] == {
        "mistakes": 1,
        "measured": 0,
        "median": None,
        "histogram": {"unknown": 1},
    }
    labels.write_text(json.dumps({"a": "dog"}))
    with pytest.raises(CommandError, match="no class index"):
        call_command("paper_tables", "--mistakes", str(mistakes), "--labels", str(labels))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("paper_tables", "--mistakes", str(mistakes), "--labels", "/nonexistent.json")
