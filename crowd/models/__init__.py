"""The crowd's side: workers, their assignments, the tasks they answer and Mechanical Turk."""

from .classify import ClassifyAnswer, ClassifyAnswerLabel, ClassifyOption, ClassifyTask
from .contains import ContainsAnswer, ContainsGrid, ContainsSelection, GridItem, QcStatus
from .mturk import Bonus, Hit, MTurkCall, MTurkSettings
from .workers import Assignment, Verification, Worker

__all__ = [
    "Assignment",
    "Bonus",
    "ClassifyAnswer",
    "ClassifyAnswerLabel",
    "ClassifyOption",
    "ClassifyTask",
    "ContainsAnswer",
    "ContainsGrid",
    "ContainsSelection",
    "GridItem",
    "Hit",
    "MTurkCall",
    "MTurkSettings",
    "QcStatus",
    "Verification",
    "Worker",
]
