"""Campaigns, their stage runs and what each stage stores."""

from .campaigns import Campaign, StageRun
from .predictions import ModelPrediction, PotentialLabel
from .results import (
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    SelectionFrequency,
)

__all__ = [
    "Campaign",
    "CandidateLabel",
    "ImageInclusion",
    "ImageLabels",
    "ImageObject",
    "ImageObjectLabel",
    "ModelPrediction",
    "PotentialLabel",
    "SelectionFrequency",
    "StageRun",
]
