"""The data model of the whole pipeline, one module per part of it."""

from .campaigns import Campaign, StageRun
from .catalogue import LabelClass, Superclass
from .classify import ClassifyAnswer, ClassifyAnswerLabel, ClassifyOption, ClassifyTask
from .contains import (
    ContainsAnswer,
    ContainsGrid,
    ContainsSelection,
    GridItem,
    QcStatus,
    SelectionFrequency,
)
from .crowd import Assignment, Worker
from .images import Dataset, Image
from .mturk import Bonus, Hit, MTurkCall, MTurkSettings
from .predictions import ModelPrediction, PotentialLabel
from .results import CandidateLabel, ImageInclusion, ImageLabels, ImageObject, ImageObjectLabel
from .review import (
    ClassGuide,
    EvaluationSlice,
    GroundTruthSet,
    HumanPick,
    HumanSession,
    MistakeCategory,
    ProblemFlag,
    ReviewItem,
    ReviewVote,
    Severity,
    TruthLabel,
    Verdict,
)

__all__ = [
    "Assignment",
    "Bonus",
    "Campaign",
    "CandidateLabel",
    "ClassifyAnswer",
    "ClassifyAnswerLabel",
    "ClassifyOption",
    "ClassifyTask",
    "ContainsAnswer",
    "ContainsGrid",
    "ContainsSelection",
    "Dataset",
    "GridItem",
    "Hit",
    "Image",
    "ImageInclusion",
    "ImageLabels",
    "ImageObject",
    "ImageObjectLabel",
    "LabelClass",
    "MTurkCall",
    "MTurkSettings",
    "ModelPrediction",
    "PotentialLabel",
    "QcStatus",
    "SelectionFrequency",
    "StageRun",
    "Superclass",
    "Worker",
    # Expert review and evaluation
    "ClassGuide",
    "EvaluationSlice",
    "GroundTruthSet",
    "HumanPick",
    "HumanSession",
    "MistakeCategory",
    "ProblemFlag",
    "ReviewItem",
    "ReviewVote",
    "Severity",
    "TruthLabel",
    "Verdict",
]
