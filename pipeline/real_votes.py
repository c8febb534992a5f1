"""The ReaL rater votes (Beyer et al. 2020, "Are we done with ImageNet?") as plain arrays for
`pipeline.rules.dawid_skene`, and the two figures that compare an aggregation with the
authors' published one.

Folder layout (as published, shared/datasets/README.md "real/"):
- raters.npz: tensor[rater, question, answer] one-hot no / maybe / yes (all zero: not asked),
  info[question] = (image file name, class index), ids[rater].
- golden.npz: the same layout for five experts on the golden questions; raters_golden.npz:
  the crowd's answers to those questions, raters matched by id. Optional.
- scores.npz: the published score of each question of raters.npz (key `tensor`, or `scores`
  as in the source README). Optional.
- real.json: image file name -> published final labels (class indices). Optional.

Each golden question becomes one more item, a control whose known truth is the experts' mean
answer (no 0, maybe 0.5, yes 1) and whose votes are the crowd's golden answers. The golden
question also stays an ordinary question with its own five votes: the published scores of
those questions are not clamped (all five experts said yes to some scored 0.33).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.rules.dawid_skene import DEFAULT_MAX_ITERATIONS, DEFAULT_PRIOR_STRENGTH, Fit, fit

RATERS, GOLDEN, RATERS_GOLDEN = "raters.npz", "golden.npz", "raters_golden.npz"
SCORES, REAL = "scores.npz", "real.json"
FINAL_THRESHOLD = 0.8  # a label is final when its score is above this (published rule)


@dataclass(frozen=True)
class RealVotes:
    """Votes as parallel arrays: questions are items 0..n_questions-1, controls follow."""

    info: np.ndarray  # (n_questions, 2) image file name, class index (as text)
    items: np.ndarray
    workers: np.ndarray
    answers: np.ndarray
    n_answers: int
    known: np.ndarray  # (n_items,) NaN for questions, expert truth for controls
    rater_ids: np.ndarray  # (n_workers,)
    published: np.ndarray | None  # (n_questions,) published scores
    real_labels: dict[str, list[int]] | None

    @property
    def n_questions(self) -> int:
        return len(self.info)

    @property
    def n_items(self) -> int:
        return len(self.known)

    @property
    def n_controls(self) -> int:
        return self.n_items - self.n_questions


def _load_npz(path: Path, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    with np.load(path, allow_pickle=False) as data:
        ids = data["ids"] if "ids" in data.files else None
        return data[key], data["info"], ids


def _votes(tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rater, question, answer) of each vote of a one-hot tensor; one vote per pair."""
    if tensor.ndim != 3 or np.any(tensor.sum(axis=2) > 1):
        raise ValueError("expected a one-hot tensor[rater, question, answer]")
    return np.nonzero(tensor)


def load_real(folder: Path) -> RealVotes:
    """Read a ReaL folder; ValueError (or OSError) when the files are missing or malformed."""
    folder = Path(folder)
    tensor, info, ids = _load_npz(folder / RATERS, "tensor")
    if ids is None or info.shape != (tensor.shape[1], 2) or len(ids) != tensor.shape[0]:
        raise ValueError(f"{folder / RATERS}: tensor, info and ids do not match")
    raters, questions, answers = _votes(tensor)
    n_questions, n_answers = tensor.shape[1], tensor.shape[2]
    item_parts, worker_parts, answer_parts = [questions], [raters], [answers]
    known = np.full(n_questions, np.nan)
    rater_ids = np.asarray(ids)

    if (folder / GOLDEN).is_file() and (folder / RATERS_GOLDEN).is_file():
        experts, expert_info, _ = _load_npz(folder / GOLDEN, "tensor")
        crowd, crowd_info, crowd_ids = _load_npz(folder / RATERS_GOLDEN, "tensor")
        if crowd_ids is None or experts.shape[2] != n_answers or crowd.shape[2] != n_answers:
            raise ValueError(f"{folder}: golden files do not match {RATERS}")
        asked = experts.sum(axis=(0, 2))
        value_sum = experts @ (np.arange(n_answers) / (n_answers - 1))
        truth = np.divide(
            value_sum.sum(axis=0), asked, out=np.full(len(asked), np.nan), where=asked > 0
        )
        control_of = {tuple(key): i for i, key in enumerate(expert_info) if asked[i] > 0}
        row = np.array([control_of.get(tuple(key), -1) for key in crowd_info])
        # Crowd raters absent from raters.npz become new workers.
        position = {int(rater): i for i, rater in enumerate(rater_ids)}
        new = [int(r) for r in crowd_ids if int(r) not in position]
        position.update({rater: len(position) for rater in dict.fromkeys(new)})
        rater_ids = np.concatenate([rater_ids, np.asarray(new, dtype=rater_ids.dtype)])
        c_raters, c_questions, c_answers = _votes(crowd)
        keep = row[c_questions] >= 0
        item_parts.append(n_questions + row[c_questions[keep]])
        worker_parts.append(np.array([position[int(r)] for r in crowd_ids])[c_raters[keep]])
        answer_parts.append(c_answers[keep])
        known = np.concatenate([known, truth])

    published = None
    if (folder / SCORES).is_file():
        with np.load(folder / SCORES, allow_pickle=False) as data:
            published = data["tensor" if "tensor" in data.files else "scores"]
        if published.shape != (n_questions,):
            raise ValueError(f"{folder / SCORES}: expected one score per question")
    real_labels = None
    if (folder / REAL).is_file():
        real_labels = json.loads((folder / REAL).read_text(encoding="utf-8"))
        if not isinstance(real_labels, dict):
            raise ValueError(f"{folder / REAL}: expected an object image -> labels")
    return RealVotes(
        info=info,
        items=np.concatenate(item_parts).astype(np.intp),
        workers=np.concatenate(worker_parts).astype(np.intp),
        answers=np.concatenate(answer_parts).astype(np.intp),
        n_answers=n_answers,
        known=known,
        rater_ids=rater_ids,
        published=published,
        real_labels=real_labels,
    )


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two score vectors."""
    return float(np.corrcoef(np.asarray(a, float), np.asarray(b, float))[0, 1])


def f1_vs_real(
    info: np.ndarray,
    probabilities: np.ndarray,
    real_labels: dict[str, list[int]],
    threshold: float = FINAL_THRESHOLD,
) -> float:
    """Micro-averaged F1 over (image, label) pairs of the images in `info`: a label is
    predicted when its question's probability is above `threshold`, and true when it is in
    the image's published list. Published labels that no question asked about count as
    missed."""
    truth = np.array([int(label) in real_labels.get(image, ()) for image, label in info])
    predicted = np.asarray(probabilities)[: len(info)] > threshold
    true_positives = int(np.sum(predicted & truth))
    false_positives = int(np.sum(predicted & ~truth))
    published = sum(len(real_labels.get(image, ())) for image in np.unique(info[:, 0]))
    false_negatives = published - true_positives
    denominator = 2 * true_positives + false_positives + false_negatives
    return 2 * true_positives / denominator if denominator else 1.0


def fit_real(
    votes: RealVotes,
    *,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    learn_from_votes: bool = False,
) -> Fit:
    """The published setup: confusions and prior learnt from the controls only, every
    question scored with them. Without controls, or with `learn_from_votes`, classical EM in
    which every question teaches the confusions too."""
    from_controls = votes.n_controls > 0 and not learn_from_votes
    return fit(
        votes.items,
        votes.workers,
        votes.answers,
        votes.n_answers,
        n_items=votes.n_items,
        n_workers=len(votes.rater_ids),
        known=votes.known,
        unknown_weight=0.0 if from_controls else 1.0,
        prior_strength=prior_strength,
        max_iterations=max_iterations,
    )


def question_probabilities(votes: RealVotes, result: Fit) -> np.ndarray:
    """The fitted probability of each question (controls left out)."""
    return result.probabilities[: votes.n_questions]
