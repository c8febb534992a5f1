"""What `score` adds beside its table: the class bootstrap (Shankar et al.), the accuracy
before and after the review (Vasudevan et al.), and the whole report as JSON, top-1 against
multi-label accuracy included (Shankar et al.'s Fig 4)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.errors import FinelabelError
from review import selectors
from review.class_slices import class_bootstrap
from review.review_effect import before_after
from review.truth import EXPERT_SET


def _pct(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f}"


def _interval(low: float, high: float) -> str:
    return f"[{_pct(low)}, {_pct(high)}]"


def clean(value: Any) -> Any:
    """NaN (nothing scored) as None, so the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def class_bootstrap_section(
    report: selectors.ScoreReport, n_boot: int, out: Callable[[str], None]
) -> dict[str, Any]:
    """Intervals over resampled classes of each accuracy and each pair's difference, printed."""
    bad = selectors.problematic_images(report.image_labels)
    boot = class_bootstrap(report.scores, report.image_labels, bad, n_boot=n_boot)
    for name, iv in boot["predictors"].items():
        out(
            f"class bootstrap {name}: {_pct(iv['value'])}% {_interval(iv['low'], iv['high'])} "
            f"over {iv['classes']} classes"
        )
    for p in boot["pairs"]:
        out(
            f"class bootstrap {p['a']} - {p['b']}: {100 * p['difference']:+.1f} points "
            f"{_interval(p['low'], p['high'])}, p = {p['pvalue']:.3g} "
            f"({p['images']} images, {p['classes']} classes)"
        )
    return boot


def review_effect_section(
    report: selectors.ScoreReport, sets: Sequence, dataset, evaluation_slice, out
) -> list[dict[str, Any]]:
    """Accuracy without and with the panel's set, printed (nothing without the panel)."""
    rows = before_after(report.predictors, sets, dataset, evaluation_slice)
    for row in rows:
        out(
            f"review {row['predictor']}: {_pct(row['before'])}% before (without {EXPERT_SET}), "
            f"{_pct(row['after'])}% after; {row['turned_right']} turned right, "
            f"{row['turned_not_right']} not right"
        )
    return rows


def report_json(report: selectors.ScoreReport, sets: Sequence[str], extra: dict) -> dict:
    rows = clean(report.rows())
    return clean(
        {
            "images": report.images,
            "ground_truth": list(sets),
            "rows": rows,
            "top1_vs_multilabel": [
                {k: r[k] for k in ("predictor", "top1_accuracy", "accuracy", "scored")}
                for r in rows
                if r["slice"] == "all"
            ],
            "mcnemar": [
                {"a": a, "b": b, "only_a": p.only_a, "only_b": p.only_b, "pvalue": p.pvalue}
                for (a, b), p in report.pairs.items()
            ],
            **extra,
        }
    )


def write_json(path: Path, data: dict) -> None:
    try:
        Path(path).write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    except OSError as exc:
        raise FinelabelError(f"cannot write {path}: {exc.strerror or exc}") from exc
