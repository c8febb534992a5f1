"""Campaigns, their stage runs and what each stage stores."""

from .adaptive import AnswerRequest
from .campaigns import Campaign, StageRun
from .predictions import ModelPrediction, PotentialLabel
from .probabilities import LabelProbability, WorkerQuality
from .results import (
    CandidateLabel,
    ImageInclusion,
    ImageLabels,
    ImageObject,
    ImageObjectLabel,
    SelectionFrequency,
)

__all__ = [
    "AnswerRequest",
    "Campaign",
    "CandidateLabel",
    "ImageInclusion",
    "ImageLabels",
    "ImageObject",
    "ImageObjectLabel",
    "LabelProbability",
    "ModelPrediction",
    "PotentialLabel",
    "SelectionFrequency",
    "StageRun",
    "WorkerQuality",
]
