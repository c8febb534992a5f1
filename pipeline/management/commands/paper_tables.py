"""`manage.py paper_tables`: the papers' tables from published files, without a database.

Reads CLASSIFY records shaped like shared/datasets/classify_dev.jsonl, aggregates them with
the project's own aggregation (pipeline.replay) and runs the analysis functions the dashboard
runs (pipeline.rules.label_figures, superclass_figures); with --mistakes, Vasudevan et al.'s
Table 2 from a file shaped like imagenet_mistakes/vit3b_mistakes.json. Prints the tables and,
with --json, writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from core.commands import FinelabelCommand
from pipeline import paper_inputs
from pipeline.replay import aggregate_record, read_records
from pipeline.rules.mistake_figures import mistake_distances
from pipeline.rules.mistakes import MistakeFileError, mistakes_table, read_mistakes
from pipeline.rules.paper_tables import classify_tables
from pipeline.rules.superclass_figures import Superclasses, superclasses_from_groups

SUPERCLASSES = Path(settings.BASE_DIR) / "catalogue" / "data" / "imagenet_superclasses.json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise CommandError(f"{path} is not JSON: {exc}") from exc


def classify_section(path: Path, supers: Superclasses) -> dict[str, Any]:
    """The CLASSIFY tables of a JSONL file, aggregated by the project."""
    if not Path(path).is_file():
        raise CommandError(f"No such file: {path}")
    with Path(path).open(encoding="utf-8") as lines:
        pairs = ((r, aggregate_record(r)["aggregate"]) for r in read_records(lines))
        return classify_tables(pairs, supers)


def mistakes_section(path: Path, labels_path: Path | None = None) -> dict[str, Any]:
    """Table 2, and the WordNet distance of each mistake to the image's closest label against
    its category (labels: `labels_path`, or ReaL's as timm ships them)."""
    try:
        mistakes = read_mistakes(_read_json(path))
    except MistakeFileError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    labels = paper_inputs.labels_file(labels_path) if labels_path else paper_inputs.real_labels()
    rows = [(paper_inputs.image_key(m.image), m.predicted, m.category) for m in mistakes]
    needed = {p for _, p, _ in rows} | {lab for i, _, _ in rows for lab in labels.get(i, ())}
    ancestors = paper_inputs.imagenet_ancestors(needed)
    return {
        **mistakes_table(mistakes),
        "wordnet_distance_labels": str(labels_path) if labels_path else "real",
        "wordnet_distance_by_category": mistake_distances(rows, labels, ancestors),
    }


class Command(FinelabelCommand):
    help = (
        "The papers' tables from a CLASSIFY JSONL file (aggregated by the project) and a "
        "reviewed-mistakes file (Vasudevan et al.'s Table 2). Needs no database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--classify", type=Path, help="JSONL of CLASSIFY records.")
        parser.add_argument("--mistakes", type=Path, help="JSON of reviewed model mistakes.")
        parser.add_argument(
            "--labels",
            type=Path,
            help="JSON image -> class index(es) the mistakes' WordNet distances are measured "
            "to (the closest one); default: ReaL's labels as timm ships them.",
        )
        parser.add_argument(
            "--superclasses",
            type=Path,
            default=SUPERCLASSES,
            help="Superclass name -> class indices (default: the catalogue's copy).",
        )
        parser.add_argument("--json", type=Path, help="Write the tables to this JSON file.")

    def handle(self, *args, **opts) -> None:
        if not opts["classify"] and not opts["mistakes"]:
            raise CommandError("Give --classify FILE.jsonl, --mistakes FILE.json, or both.")
        tables: dict[str, Any] = {}
        if opts["classify"]:
            supers = superclasses_from_groups(_read_json(opts["superclasses"]))
            tables["classify"] = classify_section(opts["classify"], supers)
            self._print_classify(tables["classify"], supers.names)
        if opts["mistakes"]:
            tables["mistakes"] = mistakes_section(opts["mistakes"], opts["labels"])
            self._print_mistakes(tables["mistakes"])
        if opts["json"]:
            opts["json"].write_text(json.dumps(tables, indent=1) + "\n", encoding="utf-8")
            self.stdout.write(f"-> {opts['json']}")

    def _print_classify(self, c: dict[str, Any], names: tuple[str, ...]) -> None:
        out = self.stdout.write
        out(f"CLASSIFY: {c['images']} images")
        out(f"  multi-object images: {c['multi_object']}")
        spread = ", ".join(f"{k}: {n}" for k, n in c["objects_histogram"].items())
        out(f"  objects per image: {spread}")
        out(f"  main label differs from the dataset label: {c['main_label_differs']}")
        out(f"  main object is not the dataset label's object: {c['main_object_differs']}")
        out(f"  dataset label in no object: {c['dataset_label_in_no_object']}")
        for k, row in c["objects_agreement"].items():
            out(f"  agreement on the number of objects, {k} object(s): {row['mean_agreement']:.3f}")
        out(
            f"  published aggregates reproduced: "
            f"{c['reference_checked'] - c['reference_mismatches']} of {c['reference_checked']}"
        )
        self._print_matrix(
            "Superclass co-occurrence (Fig 10b)", c["superclass_cooccurrence"], names
        )
        self._print_matrix(
            "Superclass confusion, main label (Fig 10a)", c["superclass_confusion_main"], names
        )

    def _print_matrix(self, title: str, matrix: dict, names: tuple[str, ...]) -> None:
        out = self.stdout.write
        out(f"{title}: rows the dataset label's superclass")
        out(" " * 22 + "".join(f"{n[:6]:>7}" for n in names))
        for row in names:
            out(f"  {row[:20]:<20}" + "".join(f"{matrix[row][col]:>7}" for col in names))

    def _print_mistakes(self, m: dict[str, Any]) -> None:
        out = self.stdout.write
        out(f"Reviewed mistakes: {m['total']} ({m['major']} major, {m['minor']} minor)")
        for name, row in m["by_category"].items():
            out(f"  {name:<40} major {row['major']:>4}  minor {row['minor']:>4}")
        out(f"WordNet distance to the closest label ({m['wordnet_distance_labels']}), siblings 1:")
        for name, row in m["wordnet_distance_by_category"].items():
            spread = ", ".join(f"{d}: {n}" for d, n in row["histogram"].items())
            median = "n/a" if row["median"] is None else f"{row['median']:g}"
            out(f"  {name:<40} median {median:>4}  ({spread})")
