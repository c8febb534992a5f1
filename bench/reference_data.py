"""Where the published reference data lives.

The development part of the published CLASSIFY answers ships with the project
(catalogue/data/classify_dev.jsonl, with its attribution). FINELABEL_SHARED_DIR points at
another `shared/` folder instead: one whose `datasets/` holds other parts of the same data.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_datasets_dir() -> Path:
    """The first `shared/datasets` folder found from the repository root upwards (or under
    FINELABEL_SHARED_DIR); the conventional `../shared/datasets` when there is none, so that
    callers report a path that says where it was expected."""
    override = os.environ.get("FINELABEL_SHARED_DIR")
    if override:
        return Path(override) / "datasets"
    for folder in (REPO, *REPO.parents):
        candidate = folder / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "datasets"


SHIPPED = REPO / "catalogue" / "data" / "classify_dev.jsonl"


def classify_dev_path() -> Path:
    """classify_dev.jsonl: the published CLASSIFY answers and aggregates (the project's copy
    unless FINELABEL_SHARED_DIR names another folder)."""
    if os.environ.get("FINELABEL_SHARED_DIR") or not SHIPPED.is_file():
        return shared_datasets_dir() / "classify_dev.jsonl"
    return SHIPPED
