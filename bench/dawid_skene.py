"""Dawid-Skene on the ReaL rater votes: the project's model against a plain dense EM.

Run: `.venv/bin/python bench/dawid_skene.py [--real DIR] [--repeat N]`.

Loads the ReaL folder (default shared/datasets/real; not timed), then times in the same run
(a) the baseline: a plain 2 x 3 worker-confusion EM, 50 iterations from the majority vote, in
dense numpy over the rater x question x answer tensor, no controls and no smoothing, and
(b) the project's model (pipeline.real_votes.fit_real: the published setup, confusions from
the golden controls); the fastest of --repeat runs counts. Both are scored against the
published scores (Pearson) and real.json (micro F1 of the labels above 0.8). For scale it
also times the model on the votes tiled twice (the size of the full ReaL set, 185k
questions), and reports classical EM over all votes (--learn-from-votes in the command).
Target: beat the baseline on all three figures; the full-size fit under 2 s on 2 cores.
The last line is machine-readable: `questions=... seconds=... baseline_seconds=...
speedup=... pearson_vs_published=... f1_vs_real=... baseline_pearson=... baseline_f1=...`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reference_data import shared_datasets_dir
from pipeline import real_votes

BASELINE_ITERATIONS = 50
EPS = 1e-12


def dense_baseline(tensor: np.ndarray, iterations: int = BASELINE_ITERATIONS) -> np.ndarray:
    """Plain EM over tensor[rater, question, answer]: per-rater 2 x K confusions, a global
    prior, starting from each question's mean answer."""
    n_answers = tensor.shape[2]
    votes = tensor.sum(axis=(0, 2))
    p = np.einsum("rqk,k->q", tensor, np.linspace(0, 1, n_answers)) / np.maximum(votes, 1)
    for _ in range(iterations):
        present = np.einsum("rqk,q->rk", tensor, p)
        absent = np.einsum("rqk,q->rk", tensor, 1 - p)
        ratio = np.log(present / (present.sum(1, keepdims=True) + EPS) + EPS) - np.log(
            absent / (absent.sum(1, keepdims=True) + EPS) + EPS
        )
        prior = p.mean()
        p = expit(np.log(prior / (1 - prior)) + np.einsum("rqk,rk->q", tensor, ratio))
    return p


def tiled(votes: real_votes.RealVotes, times: int) -> real_votes.RealVotes:
    """The same votes on `times` copies of every item (for timing at a larger size)."""
    n = votes.n_items
    return replace(
        votes,
        items=np.concatenate([votes.items + k * n for k in range(times)]),
        workers=np.tile(votes.workers, times),
        answers=np.tile(votes.answers, times),
        known=np.tile(votes.known, times),
    )


def timed_fit(votes: real_votes.RealVotes, repeat: int, **options):
    best, result = float("inf"), None
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = real_votes.fit_real(votes, **options)
        best = min(best, time.perf_counter() - start)
    return result, best


def figures(votes: real_votes.RealVotes, probabilities: np.ndarray) -> tuple[float, float]:
    probabilities = probabilities[: votes.n_questions]
    return (
        real_votes.pearson(probabilities, votes.published),
        real_votes.f1_vs_real(votes.info, probabilities, votes.real_labels),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=shared_datasets_dir() / "real")
    parser.add_argument("--repeat", type=int, default=5, help="model runs; the fastest counts")
    args = parser.parse_args()

    start = time.perf_counter()
    votes = real_votes.load_real(args.real)
    with np.load(args.real / real_votes.RATERS) as data:
        tensor = data["tensor"]
    print(
        f"loaded {votes.n_questions:,} questions, {len(votes.items):,} votes "
        f"({votes.n_controls} controls) in {time.perf_counter() - start:.2f} s"
    )

    start = time.perf_counter()
    baseline = dense_baseline(tensor)
    baseline_seconds = time.perf_counter() - start
    baseline_r, baseline_f1 = figures(votes, baseline)
    print(
        f"baseline dense EM, {BASELINE_ITERATIONS} iterations: {baseline_seconds:.3f} s, "
        f"pearson {baseline_r:.5f}, F1 {baseline_f1:.5f}"
    )

    result, seconds = timed_fit(votes, args.repeat)
    r, f1 = figures(votes, result.probabilities)
    print(
        f"model (confusions from the controls): {seconds:.3f} s, {result.iterations} "
        f"iterations, pearson {r:.5f}, F1 {f1:.5f}"
    )
    em, em_seconds = timed_fit(votes, 1, learn_from_votes=True)
    em_r, em_f1 = figures(votes, em.probabilities)
    print(
        f"model, classical EM over all votes: {em_seconds:.3f} s, {em.iterations} "
        f"iterations, pearson {em_r:.5f}, F1 {em_f1:.5f}"
    )
    double = tiled(votes, 2)
    _, double_seconds = timed_fit(double, args.repeat)
    _, double_em_seconds = timed_fit(double, 1, learn_from_votes=True)
    print(
        f"votes tiled twice ({2 * votes.n_questions:,} questions, {len(double.items):,} "
        f"votes): model {double_seconds:.3f} s, classical EM {double_em_seconds:.3f} s"
    )
    print(
        f"questions={votes.n_questions} seconds={seconds:.3f} "
        f"baseline_seconds={baseline_seconds:.3f} speedup={baseline_seconds / seconds:.0f} "
        f"pearson_vs_published={r:.5f} f1_vs_real={f1:.5f} "
        f"baseline_pearson={baseline_r:.5f} baseline_f1={baseline_f1:.5f}"
    )


if __name__ == "__main__":
    main()
