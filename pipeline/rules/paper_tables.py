"""The paper's tables from CLASSIFY records and their aggregates, without a database (what
`manage.py paper_tables` prints): the same analysis functions the dashboard runs.

Pure. A record is shaped like shared/datasets/classify_dev.jsonl (`image`, `imagenet_label`,
`responses`, optionally the published `reference`); its aggregate is the project's own
(pipeline.rules.aggregation, in the `reference` shape)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from pipeline.rules.aggregation import object_labels
from pipeline.rules.label_figures import (
    ImageTruth,
    count_distribution,
    multi_object_summary,
    number_agreement,
)
from pipeline.rules.superclass_figures import (
    Superclasses,
    confusion_matrix,
    cooccurrence_matrix,
    matrix_as_dict,
)


def truth_from_aggregate(image: Any, dataset_label: int | None, aggregate: Mapping) -> ImageTruth:
    """An ImageTruth from an aggregate in the published `reference` shape: each object named
    by its most selected label, with all its labels as members."""
    objects = aggregate["objects"]
    return ImageTruth(
        image=image,
        dataset_label=dataset_label,
        main_label=aggregate["main_label"],
        object_labels=tuple(object_labels(objects)),
        object_members=tuple(frozenset(int(label) for label in obj) for obj in objects),
        main_object=aggregate["main_object"],
        dataset_object=aggregate["imagenet_object"],
    )


def _agreement(records: list[Mapping], truths: list[ImageTruth]) -> dict[str, dict]:
    """Fig 16 per number of objects: images and their mean agreement on that number."""
    sizes = [
        (n, len(set(r["selected"]))) for n, rec in enumerate(records) for r in rec["responses"]
    ]
    chosen = {n: t.num_objects for n, t in enumerate(truths)}
    agreement = number_agreement(sizes, chosen)
    out = {}
    for k in sorted(set(chosen.values())):
        shares = [agreement[n] for n, c in chosen.items() if c == k]
        out[str(k)] = {"images": len(shares), "mean_agreement": float(np.mean(shares))}
    return out


def _superclass_tables(truths: list[ImageTruth], supers: Superclasses) -> dict[str, Any]:
    names, of = supers.names, supers.of
    main_pairs = ((t.dataset_label, t.main_label) for t in truths)
    return {
        "superclass_cooccurrence": matrix_as_dict(cooccurrence_matrix(truths, of, names), names),
        "superclass_confusion_main": matrix_as_dict(confusion_matrix(main_pairs, of, names), names),
    }


def classify_tables(
    items: Iterable[tuple[Mapping, Mapping]], superclasses: Superclasses
) -> dict[str, Any]:
    """The CLASSIFY figures over (record, aggregate) pairs. `reference_mismatches` counts the
    records that carry a published `reference` different from the project's aggregate."""
    records, truths, checked, mismatches = [], [], 0, 0
    for n, (record, aggregate) in enumerate(items):
        records.append(record)
        image, label = record.get("image", n), record["imagenet_label"]
        truths.append(truth_from_aggregate(image, label, aggregate))
        checked += "reference" in record
        mismatches += "reference" in record and record["reference"] != aggregate
    summary = multi_object_summary(truths)
    histogram = count_distribution(t.num_objects for t in truths)
    return {
        "images": summary.images,
        "multi_object": summary.multi_object,
        "objects_histogram": {str(k): v for k, v in histogram.items()},
        "main_label_differs": summary.main_differs,
        "main_object_differs": summary.main_object_differs,
        "dataset_label_in_no_object": summary.dataset_label_in_no_object,
        "objects_agreement": _agreement(records, truths),
        **_superclass_tables(truths, superclasses),
        "reference_checked": checked,
        "reference_mismatches": mismatches,
    }
