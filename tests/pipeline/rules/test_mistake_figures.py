"""Vasudevan et al.'s hierarchy distance (siblings at 1) and its table by mistake category,
on a hand-made hierarchy:

    entity <- animal <- dog <- terrier, hound;  animal <- cat;  entity <- rock
    mutt: two parents, terrier and (directly) animal."""

from __future__ import annotations

from pipeline.rules.mistake_figures import (
    closest_label_distance,
    distance_by_category,
    hierarchy_distance,
    mistake_distances,
)

ENTITY = {"entity": 0}
ANIMAL = {"animal": 0, "entity": 1}
DOG = {"dog": 0, "animal": 1, "entity": 2}
CAT = {"cat": 0, "animal": 1, "entity": 2}
TERRIER = {"terrier": 0, "dog": 1, "animal": 2, "entity": 3}
HOUND = {"hound": 0, "dog": 1, "animal": 2, "entity": 3}
ROCK = {"rock": 0, "entity": 1}
MUTT = {"mutt": 0, "terrier": 1, "dog": 2, "animal": 1, "entity": 2}
LONELY = {"lonely": 0}


def test_steps_up_to_the_lowest_common_ancestor():
    assert hierarchy_distance(TERRIER, TERRIER) == 0
    assert hierarchy_distance(TERRIER, HOUND) == 1  # siblings: a shared parent
    assert hierarchy_distance(DOG, TERRIER) == 1  # a class and its parent
    assert hierarchy_distance(TERRIER, CAT) == 2  # up to animal: 2 from terrier, 1 from cat
    assert hierarchy_distance(CAT, TERRIER) == 2  # symmetric
    assert hierarchy_distance(TERRIER, ROCK) == 3  # only entity in common
    assert hierarchy_distance(TERRIER, LONELY) is None


def test_several_parents_take_the_nearest_common_ancestor():
    # mutt reaches animal in 1 step (its second parent): with cat, max(1, 1) = 1.
    assert hierarchy_distance(MUTT, CAT) == 1
    assert hierarchy_distance(MUTT, HOUND) == 2  # through dog: max(2, 1)


def test_the_closest_of_several_labels():
    assert closest_label_distance(TERRIER, [ROCK, CAT, HOUND]) == 1
    assert closest_label_distance(TERRIER, []) is None
    assert closest_label_distance(TERRIER, [LONELY]) is None


def test_histogram_and_median_per_category():
    rows = [("fine", 1), ("spurious", 4), ("fine", 3), ("fine", None), ("fine", 1)]
    assert distance_by_category(rows) == {
        "fine": {
            "mistakes": 4,
            "measured": 3,
            "median": 1.0,
            "histogram": {"1": 2, "3": 1, "unknown": 1},
        },
        "spurious": {"mistakes": 1, "measured": 1, "median": 4.0, "histogram": {"4": 1}},
    }
    assert distance_by_category([("x", None)])["x"]["median"] is None


def test_mistakes_against_each_images_labels():
    ancestors = {0: TERRIER, 1: HOUND, 2: CAT, 3: ROCK}
    mistakes = [
        ("a.jpg", 0, "fine"),
        ("b.jpg", 0, "fine"),
        ("c.jpg", 9, "odd"),
        ("d.jpg", 2, "odd"),
    ]
    labels = {"a.jpg": [1], "b.jpg": [3, 2], "c.jpg": [1]}  # d.jpg has no label
    table = mistake_distances(mistakes, labels, ancestors)
    assert table["fine"]["histogram"] == {"1": 1, "2": 1}  # hound; cat closer than rock
    assert table["odd"]["histogram"] == {"unknown": 2}  # class 9 unknown; no label
