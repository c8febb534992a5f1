"""Superclass analyses (Tsipras et al. 2020, Fig 10) over the 11 superclasses of
imagenet_superclasses.json: confusion (Fig 10a) and co-occurrence (Fig 10b).

Pure: labels are class indices; `superclass_of` maps a class index to its superclass name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.rules.label_figures import ImageTruth

# The published file misspells one superclass; shown under its right name.
SPELLING = {"inverterbrates": "invertebrates"}


def display_name(name: str) -> str:
    """A superclass name as shown: the published file's misspelling corrected."""
    return SPELLING.get(name, name)


@dataclass(frozen=True)
class Superclasses:
    names: tuple[str, ...]  # in the file's order, as shown
    of: Mapping[int, str]  # class index -> superclass name, as shown


def superclasses_from_groups(groups: Mapping[str, Iterable[int]]) -> Superclasses:
    """The superclasses of a {name: [class index, ...]} mapping (the published file)."""
    names = tuple(display_name(n) for n in groups)
    of = {int(i): display_name(n) for n, members in groups.items() for i in members}
    return Superclasses(names, of)


def confusion_matrix(
    pairs: Iterable[tuple[int, int]], superclass_of: Mapping[int, str], names: Sequence[str]
) -> np.ndarray:
    """Counts of (true superclass, predicted superclass) over (true label, predicted label)
    pairs; rows are the true superclass, in the order of `names`. Labels outside every
    superclass are skipped."""
    index = {name: i for i, name in enumerate(names)}
    row_of = {label: index[name] for label, name in superclass_of.items() if name in index}
    # Counted in a dict, then stored: an item assignment into the array per pair cost 5x more.
    counts = Counter((row_of.get(true), row_of.get(pred)) for true, pred in pairs)
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for (a, b), n in counts.items():
        if a is not None and b is not None:
            matrix[a, b] = n
    return matrix


def row_normalise(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows summing to 0 stay 0)."""
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros(matrix.shape, dtype=float), where=sums > 0)


def cooccurrence_matrix(
    truths: Iterable[ImageTruth], superclass_of: Mapping[int, str], names: Sequence[str]
) -> np.ndarray:
    """Fig 10b, not symmetric: row = the dataset label's superclass, column = the superclass
    of each object other than the one holding the dataset label (an object's label is its
    most selected label), each (row, column) counted once per image. Images whose dataset
    label is in no object, or has no superclass, add nothing."""
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for t in truths:
        row = index.get(superclass_of.get(t.dataset_label))
        if row is None or t.dataset_object is None:
            continue
        columns = {
            index.get(superclass_of.get(label))
            for j, label in enumerate(t.object_labels)
            if j != t.dataset_object
        }
        for column in columns - {None}:
            matrix[row, column] += 1
    return matrix


def most_selected_labels(sf: Mapping[tuple[Hashable, int], float]) -> dict[Hashable, int]:
    """image -> its label of highest selection frequency (CONTAINS); a tie goes to the lowest
    class index. The people's label of Fig 10a's CONTAINS matrix."""
    best: dict[Hashable, tuple[float, int]] = {}
    for (image, label), freq in sf.items():
        current = best.get(image)
        if current is None or (freq, -label) > (current[0], -current[1]):
            best[image] = (freq, label)
    return {image: label for image, (_, label) in best.items()}


def matrix_as_dict(matrix: np.ndarray, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """{row name: {column name: count}}, every cell included."""
    return {r: {c: int(matrix[i, j]) for j, c in enumerate(names)} for i, r in enumerate(names)}
