"""The remaining mistakes of a model as reviewed by Vasudevan et al. 2022 ("When does dough
become a bagel?"): severity and category per mistake, and their Table 2 (mistakes per
category and severity).

Pure. The published file (imagenet_mistakes/vit3b_mistakes.json) maps an ImageNet validation
file name to {"top_prediction": class index, "failure category": ..., "failure severity":
"Major" | "Minor" | "Borderline"}; the paper counts Borderline as minor."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAJOR, MINOR = "major", "minor"
SEVERITIES = {"major": MAJOR, "minor": MINOR, "borderline": MINOR}

# The published categories -> the review panel's (review.models.MistakeCategory values). The
# one "Fine-grained with Multilabel Options" mistake is a fine-grained one.
CATEGORIES = {
    "fine-grained error": "fine_grained",
    "fine-grained error with oov": "fine_grained_oov",
    "fine-grained with multilabel options": "fine_grained",
    "spurious correlation": "spurious",
    "non-prototypical": "non_prototypical",
}


class MistakeFileError(ValueError):
    """An entry of a mistakes file that cannot be read."""


def severity(value: str) -> str:
    """MAJOR or MINOR for a published severity (Borderline counts as minor)."""
    try:
        return SEVERITIES[str(value).strip().lower()]
    except KeyError:
        raise MistakeFileError(f"unknown severity {value!r}") from None


def category(value: str) -> str:
    """The review panel's category for a published one."""
    try:
        return CATEGORIES[str(value).strip().lower()]
    except KeyError:
        raise MistakeFileError(f"unknown category {value!r}") from None


@dataclass(frozen=True)
class Mistake:
    image: str  # validation file name
    predicted: int  # class index
    category: str  # as published
    severity: str  # MAJOR or MINOR


def read_mistakes(data: Mapping[str, Any]) -> list[Mistake]:
    """The entries of a parsed mistakes file, in file order; MistakeFileError names a bad
    entry."""
    if not isinstance(data, Mapping):
        raise MistakeFileError("a mistakes file is a JSON object: image -> mistake")
    out = []
    for image, entry in data.items():
        try:
            predicted = entry["top_prediction"]
            out.append(
                Mistake(
                    image,
                    int(predicted),
                    entry["failure category"],
                    severity(entry["failure severity"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MistakeFileError(f"{image}: {exc}") from None
    return out


def severity_table(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Vasudevan's Table 2: {category: {"major": n, "minor": n}} over (category, severity)
    pairs, categories in order of first appearance; a severity is read by `severity`."""
    counts: Counter = Counter()
    order: dict[str, None] = {}
    for cat, sev in pairs:
        order.setdefault(cat, None)
        counts[(cat, severity(sev))] += 1
    return {cat: {MAJOR: counts[(cat, MAJOR)], MINOR: counts[(cat, MINOR)]} for cat in order}


def mistakes_table(mistakes: Iterable[Mistake]) -> dict[str, Any]:
    """{"total", "major", "minor", "by_category"} of a model's reviewed mistakes."""
    mistakes = list(mistakes)
    by_category = severity_table((m.category, m.severity) for m in mistakes)
    return {
        "total": len(mistakes),
        MAJOR: sum(m.severity == MAJOR for m in mistakes),
        MINOR: sum(m.severity == MINOR for m in mistakes),
        "by_category": by_category,
    }
