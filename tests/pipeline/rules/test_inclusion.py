"""Stage 4 categories: ambiguous, mislabeled, easy and follow-up, at their boundaries."""

from __future__ import annotations

import pytest

from pipeline.params import PAPER, CampaignParams
from pipeline.rules.inclusion import (
    AMBIGUOUS,
    EASY,
    FOLLOW_UP,
    MISLABELED,
    ImageVotes,
    Votes,
    include,
    include_all,
)

D = 1


def image(dataset: tuple[int, int] | None, **others: tuple[int, int]) -> ImageVotes:
    """Votes as (selected, answers) for the dataset label D and labels named l2, l3, ..."""
    votes = {int(name[1:]): Votes(*v) for name, v in others.items()}
    if dataset is not None:
        votes[D] = Votes(*dataset)
    return ImageVotes(42, D, votes)


def category(img: ImageVotes, params: CampaignParams = PAPER) -> str:
    return include(img, params).category


def test_too_few_answers_for_the_dataset_label_is_ambiguous():
    assert category(image((5, 5), l2=(0, 9))) == AMBIGUOUS  # 5 answers < 6
    assert category(image((0, 2), l2=(0, 9))) == AMBIGUOUS  # not mislabeled: too few answers
    result = include(image(None, l2=(9, 9)))
    assert result.category == AMBIGUOUS
    assert result.dataset_answers == 0 and result.dataset_frequency is None


def test_six_answers_are_enough():
    assert category(image((6, 6), l2=(0, 9))) == EASY
    assert category(image((0, 6), l2=(0, 9))) == MISLABELED


def test_nobody_selecting_the_dataset_label_is_mislabeled():
    result = include(image((0, 9), l2=(9, 9)))
    assert result.category == MISLABELED
    assert result.dataset_frequency == 0.0
    assert not result.goes_to_classify


def test_easy_needs_strictly_more_than_double_every_other_label():
    assert category(image((9, 9), l2=(4, 9))) == EASY  # 1.0 > 2 * 0.44
    assert category(image((6, 9), l2=(3, 9))) == FOLLOW_UP  # 0.67 == 2 * 0.33: not more
    assert category(image((7, 9), l2=(3, 9))) == EASY
    assert category(image((6, 6), l2=(4, 8))) == FOLLOW_UP  # 1.0 == 2 * 0.5
    assert category(image((6, 6), l2=(3, 8))) == EASY
    assert category(image((9, 9), l2=(1, 9), l3=(5, 9))) == FOLLOW_UP  # against the strongest


def test_easy_ignores_labels_seen_by_fewer_than_six_workers():
    assert category(image((3, 9), l2=(5, 5), l3=(0, 7))) == EASY
    assert category(image((3, 9), l2=(6, 6))) == FOLLOW_UP


def test_an_image_with_no_other_label_seen_enough_is_easy():
    assert category(image((1, 9))) == EASY
    assert category(image((1, 9), l2=(0, 9), l3=(0, 8))) == EASY


def test_follow_up_goes_to_classify_with_its_rival():
    result = include(image((5, 9), l2=(4, 9), l3=(4, 9), l4=(9, 9)))
    assert result.category == FOLLOW_UP and result.goes_to_classify
    assert result.rival == 4 and result.rival_frequency == 1.0
    result = include(image((9, 9), l3=(3, 9), l2=(3, 9)))  # tie: the smaller label id
    assert result.rival == 2 and result.rival_frequency == pytest.approx(1 / 3)


def test_counts_list_every_category():
    images = [
        image((9, 9), l2=(1, 9)),
        image((9, 9), l2=(2, 9)),
        image((0, 9)),
        image((5, 9), l2=(5, 9)),
    ]
    report = include_all(images)
    assert report.counts == {EASY: 2, MISLABELED: 1, AMBIGUOUS: 0, FOLLOW_UP: 1}
    assert [r.category for r in report.images] == [EASY, EASY, MISLABELED, FOLLOW_UP]
    assert include_all([]).counts == {EASY: 0, MISLABELED: 0, AMBIGUOUS: 0, FOLLOW_UP: 0}


def test_parameters_are_respected():
    params = CampaignParams(easy_min_answers=3, easy_ratio=1.5)
    assert category(image((3, 3), l2=(2, 3)), params) == FOLLOW_UP  # 1.0 == 1.5 * 0.67
    assert category(image((3, 3), l2=(1, 3)), params) == EASY
    assert category(image((2, 3), l2=(1, 2)), params) == EASY  # l2 has too few answers
    assert category(image((0, 2)), params) == AMBIGUOUS


def test_bad_votes_are_refused():
    with pytest.raises(ValueError, match="7 selected of 6"):
        include(image((7, 6)))
