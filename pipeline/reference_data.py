"""Where the published reference data (shared/datasets) lives.

The `shared/` folder sits beside the checkout (`../shared` from the repository root) in the
main checkout, a level or two further up in a work tree, or inside the checkout itself on a
copied tree. FINELABEL_SHARED_DIR overrides the search.
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


def classify_dev_path() -> Path:
    """shared/datasets/classify_dev.jsonl: the published CLASSIFY answers and aggregates."""
    return shared_datasets_dir() / "classify_dev.jsonl"
