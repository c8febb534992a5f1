"""Dawid-Skene aggregation: hand-made vote sets with known answers, the ReaL reader and the
aggregate_votes command on a tiny ReaL-shaped folder, and the figures on the real half."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy.stats import pearsonr

from bench.reference_data import shared_datasets_dir
from pipeline import real_votes
from pipeline.rules.dawid_skene import fit

REAL_DIR = shared_datasets_dir() / "real"
FINAL_LINE = re.compile(
    r"^questions=(\d+) pearson_vs_published=(\S+) f1_vs_real=(\S+) seconds=(\S+)$"
)


def votes_from(table: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """{worker: [answer per item, -1 = no vote]} -> (items, workers, answers)."""
    items, workers, answers = [], [], []
    for worker, row in table.items():
        for item, answer in enumerate(row):
            if answer >= 0:
                items.append(item)
                workers.append(worker)
                answers.append(answer)
    return np.array(items), np.array(workers), np.array(answers)


TRUTH = np.array([1, 0, 0, 1, 0] * 40)  # 200 items, 80 with the label


def test_reliable_workers_outvote_an_adversary_whose_answers_are_learnt_inverted():
    table = {w: list(TRUTH) for w in range(3)}
    table[1] = [1 - t if i % 10 == 0 else t for i, t in enumerate(TRUTH)]  # 10% slips
    table[3] = list(1 - TRUTH)  # always wrong
    result = fit(*votes_from(table), 2)

    assert result.converged
    assert np.all(result.probabilities[TRUTH == 1] > 0.99)
    assert np.all(result.probabilities[TRUTH == 0] < 0.01)
    assert result.confusion.shape == (4, 2, 2)
    assert result.confusion[3, 0, 1] > 0.8  # says "yes" when the label is absent
    assert result.balanced_accuracy[3] < 0.2
    assert np.all(result.balanced_accuracy[[0, 2]] > 0.9)
    assert 0.85 < result.balanced_accuracy[1] < result.balanced_accuracy[0]
    assert result.prior == pytest.approx(TRUTH.mean(), abs=0.01)


def test_a_worker_who_always_says_yes_gets_low_specificity_and_full_sensitivity():
    table = {w: list(TRUTH) for w in range(3)}
    table[3] = [1] * len(TRUTH)
    result = fit(*votes_from(table), 2)

    assert result.specificity[3] < 0.15
    assert result.sensitivity[3] > 0.9
    assert np.all(result.specificity[:3] > 0.9)
    # Their "yes" carries almost no weight: the items only they call present stay absent.
    assert np.all(result.probabilities[TRUTH == 0] < 0.01)


def test_clamped_controls_decide_between_two_workers_who_always_disagree():
    # Items 0-9: A says yes, B says no. Items 10-29: controls that both answer.
    a_row = [1] * 10 + [1] * 10 + [0] * 10
    b_row = [0] * 10 + [0] * 10 + [1] * 10
    votes = votes_from({0: a_row, 1: b_row})
    a_right = np.r_[np.full(10, np.nan), np.ones(10), np.zeros(10)]
    b_right = np.r_[np.full(10, np.nan), np.zeros(10), np.ones(10)]

    trust_a = fit(*votes, 2, known=a_right, prior_strength=1)
    trust_b = fit(*votes, 2, known=b_right, prior_strength=1)

    assert np.all(trust_a.probabilities[:10] > 0.9)
    assert np.all(trust_b.probabilities[:10] < 0.1)
    np.testing.assert_array_equal(trust_a.probabilities[10:], a_right[10:])  # clamped
    assert trust_a.balanced_accuracy[0] > 0.9 > 0.1 > trust_a.balanced_accuracy[1]


def test_controls_only_mode_learns_from_the_controls_and_pools_the_unseen_workers():
    votes = votes_from(
        {
            0: [1, 0, 1, 0, 2, 0, 2, 0, -1, -1],
            1: [1, 0, 2, 0, 2, 0, 2, 0, -1, -1],
            2: [-1, -1, -1, -1, -1, -1, -1, -1, 2, 0],  # never on a control
            3: [-1, -1, -1, -1, -1, -1, -1, -1, 0, 1],
        }
    )
    known = np.r_[np.full(4, np.nan), [1, 0, 1, 0], [np.nan, np.nan]]
    result = fit(*votes, 3, n_items=10, known=known, unknown_weight=0.0)

    assert result.converged and result.iterations == 2  # nothing left to learn after one step
    np.testing.assert_allclose(result.confusion[2], result.confusion[3])
    assert result.prior == pytest.approx(0.5)
    # Learning from every item instead changes the unseen workers' confusions.
    em = fit(*votes, 3, n_items=10, known=known, unknown_weight=1.0)
    assert not np.allclose(em.confusion[2], em.confusion[3])


def test_three_answers_order_items_by_their_votes_and_rows_are_distributions():
    rng = np.random.default_rng(7)
    truth = rng.random(300) < 0.3
    # Present: yes 70%, maybe 20%, no 10%. Absent: no 85%, maybe 10%, yes 5%.
    table = {
        w: [int(rng.choice(3, p=[0.1, 0.2, 0.7] if t else [0.85, 0.1, 0.05])) for t in truth]
        for w in range(6)
    }
    table[0][:3] = [2, 1, 0]
    for w in range(1, 6):
        table[w][:3] = [-1, -1, -1]
    result = fit(*votes_from(table), 3)

    p = result.probabilities
    assert p[0] > p[1] > p[2]  # one yes > one maybe > one no
    assert result.confusion.shape == (6, 2, 3)
    np.testing.assert_allclose(result.confusion.sum(axis=2), 1.0)
    assert np.all((p >= 0) & (p <= 1))
    assert np.mean((p > 0.5) == truth) > 0.95
    with pytest.raises(ValueError):
        result.probabilities[0] = 0.5  # read-only


def test_an_item_without_votes_gets_the_prior():
    items, workers, answers = votes_from({w: list(TRUTH) for w in range(3)})
    result = fit(items, workers, answers, 2, n_items=len(TRUTH) + 1)
    assert result.probabilities[-1] == pytest.approx(result.prior)
    assert 0.3 < result.prior < 0.5


def test_an_extra_voter_is_learnt_and_reported_apart():
    # Two workers split on items 0-99 and agree on items 100-199; the ensemble sides with
    # worker 0 on the split items and matches the agreed answers on the others.
    row0 = [1] * 50 + [0] * 50 + list(TRUTH[:100])
    row1 = [0] * 50 + [1] * 50 + list(TRUTH[:100])
    items, workers, answers = votes_from({0: row0, 1: row1})
    ensemble = np.r_[[2] * 50, [0] * 50, 2 * TRUTH[:100]]  # bins: low, mid, high
    ensemble[::7] = -1  # not every item has a model score
    without = fit(items, workers, answers, 2)
    with_extra = fit(items, workers, answers, 2, extra_answers=ensemble, extra_n_answers=3)

    assert without.extra_confusion is None
    assert without.probabilities[0] == pytest.approx(without.probabilities[50])  # a tie
    assert with_extra.extra_confusion.shape == (2, 3)
    assert with_extra.extra_confusion[1, 2] > 0.8 and with_extra.extra_confusion[0, 0] > 0.8
    assert with_extra.confusion.shape == (2, 2, 2)  # workers only
    assert np.all(with_extra.probabilities[1:50] > 0.9)
    assert np.all(with_extra.probabilities[50:100][ensemble[50:100] >= 0] < 0.1)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (([0, 1], [0], [1]), "one entry per vote"),
        (([0, 1], [0, 0], [1, 2]), "answers must lie"),
        (([0.5], [0], [1]), "integers"),
    ],
)
def test_malformed_votes_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        fit(*(np.array(a) for a in arguments), 2)


def test_controls_only_mode_needs_controls():
    with pytest.raises(ValueError, match="known truth"):
        fit(np.array([0]), np.array([0]), np.array([1]), 2, unknown_weight=0.0)


# --- The ReaL folder and the command -------------------------------------------------------


def one_hot(answers: np.ndarray, n_answers: int = 3) -> np.ndarray:
    """answers[rater, question] (-1: not asked) -> tensor[rater, question, answer]."""
    tensor = np.zeros((*answers.shape, n_answers))
    rater, question = np.nonzero(answers >= 0)
    tensor[rater, question, answers[rater, question]] = 1
    return tensor


# Four raters (ids 11..14) on six questions of two images; rater 14 answers no control.
INFO = np.array([["img_a.JPEG", "3"], ["img_a.JPEG", "7"], ["img_a.JPEG", "9"],
                 ["img_b.JPEG", "3"], ["img_b.JPEG", "5"], ["img_b.JPEG", "8"]])  # fmt: skip
ANSWERS = np.array([[2, 0, 1, 0, 2, 0], [2, 0, 0, 0, 2, 1], [2, 1, 0, -1, 2, 0],
                    [-1, 2, 2, 0, -1, 2]])  # fmt: skip
GOLDEN_INFO = np.array([["img_a.JPEG", "3"], ["img_b.JPEG", "8"], ["img_b.JPEG", "5"]])
EXPERTS = np.array([[2, 0, 2], [2, 0, 0]])  # two experts; they split on the third question
CROWD_GOLDEN = np.array([[2, 0, 1], [2, 1, 2], [1, 0, 0]])  # raters 11, 12, 13, 15
CROWD_IDS = np.array([11, 12, 13])
PUBLISHED = np.array([0.99, 0.02, 0.3, 0.01, 0.97, 0.1])
REAL = {"img_a.JPEG": [3, 9], "img_b.JPEG": [5], "img_c.JPEG": [1]}


@pytest.fixture
def real_folder(tmp_path):
    np.savez(tmp_path / "raters.npz", tensor=one_hot(ANSWERS), info=INFO, ids=[11, 12, 13, 14])
    np.savez(tmp_path / "golden.npz", tensor=one_hot(EXPERTS), info=GOLDEN_INFO, ids=[1, 2])
    crowd = np.vstack([CROWD_GOLDEN, [[2, -1, 0]]])  # a fifth rater, 15, only on controls
    np.savez(
        tmp_path / "raters_golden.npz",
        tensor=one_hot(crowd),
        info=GOLDEN_INFO,
        ids=[*CROWD_IDS, 15],
    )
    np.savez(tmp_path / "scores.npz", tensor=PUBLISHED, info=INFO)
    (tmp_path / "real.json").write_text(json.dumps(REAL))
    return tmp_path


def expected_figures() -> tuple[float, float]:
    """The model fitted on votes assembled here by hand, scored with scipy and sets."""
    items, workers, answers = [], [], []
    for rater, row in enumerate(ANSWERS):
        for question, answer in enumerate(row):
            if answer >= 0:
                items.append(question)
                workers.append(rater)
                answers.append(answer)
    crowd = np.vstack([CROWD_GOLDEN, [[2, -1, 0]]])
    for position, row in zip([0, 1, 2, 4], crowd, strict=True):  # rater 15 -> worker 4
        for control, answer in enumerate(row):
            if answer >= 0:
                items.append(6 + control)
                workers.append(position)
                answers.append(answer)
    known = np.r_[np.full(6, np.nan), [1.0, 0.0, 0.5]]
    result = fit(items, workers, answers, 3, known=known, unknown_weight=0.0)
    p = result.probabilities[:6]
    predicted = {(image, int(label)) for (image, label), q in zip(INFO, p, strict=True) if q > 0.8}
    truth = {(image, label) for image, labels in REAL.items() if image != "img_c.JPEG"
             for label in labels}  # fmt: skip
    true_positives = len(predicted & truth)
    f1 = 2 * true_positives / (len(predicted) + len(truth))
    return pearsonr(p, PUBLISHED)[0], f1


def test_reader_turns_golden_questions_into_clamped_controls(real_folder):
    votes = real_votes.load_real(real_folder)
    assert (votes.n_questions, votes.n_controls, votes.n_answers) == (6, 3, 3)
    assert len(votes.items) == 21 + 11
    np.testing.assert_array_equal(votes.rater_ids, [11, 12, 13, 14, 15])
    np.testing.assert_array_equal(votes.known[6:], [1.0, 0.0, 0.5])
    assert np.isnan(votes.known[:6]).all()
    assert set(votes.workers[votes.items >= 6]) == {0, 1, 2, 4}


def test_f1_counts_missed_labels_and_ignores_images_not_asked_about():
    info = np.array([["a", "1"], ["a", "2"], ["b", "4"]])
    # predicted: a/1, b/4; published: a/1, a/3 (never asked), b/5.
    f1 = real_votes.f1_vs_real(info, np.array([0.9, 0.5, 0.81]), {"a": [1, 3], "b": [5]})
    assert f1 == pytest.approx(2 * 1 / (2 + 3))


def test_command_prints_the_figures_of_the_model_on_the_folder(real_folder):
    out = io.StringIO()
    call_command("aggregate_votes", real=str(real_folder), stdout=out)
    lines = out.getvalue().strip().splitlines()
    match = FINAL_LINE.match(lines[-1])
    assert match, lines[-1]
    r, f1 = expected_figures()
    assert int(match[1]) == 6
    assert float(match[2]) == pytest.approx(r, abs=1e-5)
    assert float(match[3]) == pytest.approx(f1, abs=1e-5)
    assert 0 <= float(match[4]) < 5
    assert 0 < f1 < 1 and abs(r) < 1  # the tiny folder is not trivially perfect
    assert any(line.startswith("load") for line in lines[:-1])


def test_command_refuses_a_missing_or_incomplete_folder(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("aggregate_votes", real=str(tmp_path / "absent"), stdout=io.StringIO())
    (tmp_path / "raters.npz").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="missing scores.npz, real.json"):
        call_command("aggregate_votes", real=str(tmp_path), stdout=io.StringIO())
    np.savez(tmp_path / "scores.npz", tensor=PUBLISHED, info=INFO)
    (tmp_path / "real.json").write_text("{}")
    with pytest.raises(CommandError, match="unreadable"):
        call_command("aggregate_votes", real=str(tmp_path), stdout=io.StringIO())


@pytest.mark.skipif(not (REAL_DIR / "raters.npz").is_file(), reason=f"no {REAL_DIR}")
def test_the_real_half_beats_the_plain_dense_baseline():
    votes = real_votes.load_real(REAL_DIR)
    result = real_votes.fit_real(votes)
    p = real_votes.question_probabilities(votes, result)
    assert votes.n_questions == 93_874
    assert real_votes.pearson(p, votes.published) > 0.984
    assert real_votes.f1_vs_real(votes.info, p, votes.real_labels) > 0.95
