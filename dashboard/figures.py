"""The paper's analyses as pure functions, as the dashboard uses them.

They live in pipeline.rules (bootstrap, label_figures, superclass_figures, model_figures), so
that `manage.py paper_tables` runs the very same code on published files without Django;
this module gathers them for the dashboard (dashboard.figure_data loads the inputs,
dashboard.charts draws the outputs)."""

from __future__ import annotations

from pipeline.rules.bootstrap import NAN_INTERVAL, Interval, bootstrap_ci
from pipeline.rules.label_figures import (
    FrequencyComparison,
    GridVotes,
    ImageId,
    ImageTruth,
    Mislabeled,
    MultiObjectSummary,
    agreement_by_objects,
    compare_frequencies,
    count_distribution,
    frequencies_by_image,
    labels_as_often_as_dataset_label,
    multi_object_summary,
    number_agreement,
    possibly_mislabeled,
    share_histogram,
    subsampled_frequencies,
    validated_pairs,
)
from pipeline.rules.model_figures import (
    ACCURACIES,
    SUBSETS,
    LabelAssessment,
    ModelScores,
    PairAccuracy,
    dataset_label_assessment,
    pair_accuracy,
    score_model,
)
from pipeline.rules.superclass_figures import (
    confusion_matrix,
    cooccurrence_matrix,
    display_name,
    matrix_as_dict,
    most_selected_labels,
    row_normalise,
)

__all__ = [
    "ACCURACIES",
    "NAN_INTERVAL",
    "SUBSETS",
    "FrequencyComparison",
    "GridVotes",
    "ImageId",
    "ImageTruth",
    "Interval",
    "LabelAssessment",
    "Mislabeled",
    "ModelScores",
    "MultiObjectSummary",
    "PairAccuracy",
    "agreement_by_objects",
    "bootstrap_ci",
    "compare_frequencies",
    "confusion_matrix",
    "cooccurrence_matrix",
    "count_distribution",
    "dataset_label_assessment",
    "display_name",
    "frequencies_by_image",
    "labels_as_often_as_dataset_label",
    "matrix_as_dict",
    "most_selected_labels",
    "multi_object_summary",
    "number_agreement",
    "pair_accuracy",
    "possibly_mislabeled",
    "row_normalise",
    "score_model",
    "share_histogram",
    "subsampled_frequencies",
    "validated_pairs",
]
