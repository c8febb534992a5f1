"""Every number of the method (PIPELINE.md) as a campaign parameter, with the paper's value as
its default. The Campaign model takes its field defaults from here, and the stage cores take a
CampaignParams, so the two can never disagree."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class CampaignParams:
    # Stage 1: potential labels.
    ensemble: str = "paper10"
    top_k: int = 5
    # Stage 2: CONTAINS grids.
    grid_size: int = 48
    min_controls: int = 5
    contains_assignments: int = 9
    contains_reward: Decimal = Decimal("0.20")
    # CONTAINS quality control.
    qc_worker_control_rate: float = 0.2  # a grid where the worker found fewer controls is bad...
    qc_worker_bad_grid_share: float = 0.5  # ...and a worker with this share of bad grids is dropped
    qc_grid_control_rate: float = 0.4  # a single grid answer below this is dropped
    # Beyond the paper (off: None): drop workers whose Dawid-Skene accuracy is under this.
    qc_min_worker_accuracy: float | None = None
    # Stage 3: candidate labels.
    candidate_sf_threshold: float = 0.5
    candidate_wordnet_distance: int = 5
    candidate_min: int = 5
    candidate_max: int = 6
    candidate_dataset_sf_floor: float = 0.125  # dataset label sf <= this forces truncation
    # Stage 4: inclusion.
    easy_min_answers: int = 6
    easy_ratio: float = 2.0
    # Stage 5: CLASSIFY.
    classify_assignments: int = 9
    classify_reward: Decimal = Decimal("0.08")
    classify_qc_worker_flagged_share: float = 1 / 3
    # Dawid-Skene stage: also fit with the ensemble as one more voter (crowd-only kept beside).
    dawid_skene_with_model: bool = False
    # Adaptive collection (pipeline/rules/adaptive*.py): answers each task is published with;
    # more, up to the *_assignments above, only where the outcome is not settled. None: the
    # paper's fixed design.
    contains_min_assignments: int | None = None
    classify_min_assignments: int | None = None

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_object(cls, obj: Any) -> CampaignParams:
        """Read the parameters off anything that carries them as attributes (a Campaign)."""
        return cls(**{name: getattr(obj, name) for name in cls.field_names()})

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values, to store beside a stage's output."""
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


PAPER = CampaignParams()


@lru_cache(maxsize=64)
def exact_fraction(value: float) -> Fraction:
    """A threshold as the fraction it stands for, so that rules compare counts exactly: the
    nearest fraction with a denominator up to 10,000 (0.2 -> 1/5, 1/3 as a float -> 1/3,
    0.1 + 0.2 -> 3/10, 0.3333 -> 3333/10000). Parameters have at most four decimals."""
    return Fraction(value).limit_denominator(10_000)
