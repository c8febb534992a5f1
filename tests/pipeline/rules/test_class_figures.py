"""Per-class views on hand-made images of three classes (10, 20, 30), counted by hand."""

from __future__ import annotations

import pytest

from pipeline.rules.class_figures import class_images, class_rows, ranked
from pipeline.rules.label_figures import ImageTruth

TRUTHS = [
    # class 10: one single-object image, one with a second object (50) that is the main one
    ImageTruth(1, 10, 10, (10,)),
    ImageTruth(2, 10, 50, (10, 50)),
    # class 20: a synonym (21) given to the dataset label's object is the main label
    ImageTruth(3, 20, 21, (21,), (frozenset({20, 21}),)),
    # class 30: three images, two multi-object, main label always the dataset label
    ImageTruth(4, 30, 30, (30, 60)),
    ImageTruth(5, 30, 30, (30, 61)),
    ImageTruth(6, 30, 30, (30,)),
]
SF = {1: 1.0, 2: 0.5, 3: None, 4: 0.75, 5: 0.25}  # image 6 unmeasured, 3 None
PREDICTIONS = {
    "m1": {1: [10, 1], 2: [50, 10], 3: [20], 4: [60], 5: [30], 6: [31]},
    "m2": {1: [11], 2: [10], 4: [30]},  # m2 predicted 3 of the images only
}


def test_one_row_per_class_counted_by_hand():
    rows = {r.label: r for r in class_rows(TRUTHS, SF, PREDICTIONS)}
    assert list(rows) == [10, 20, 30]
    r10, r20, r30 = rows[10], rows[20], rows[30]
    assert (r10.images, r10.multi_object, r10.main_is_dataset, r10.main_object_differs) == (
        2,
        1,
        1,
        1,
    )
    assert (r10.multi_share, r10.agreement, r10.dataset_sf, r10.sf_measured) == (0.5, 0.5, 0.75, 2)
    # m1: top-1 10 (right) and 50 (not the dataset label, but an object's label).
    assert r10.top1 == {"m1": 0.5, "m2": 0.5}
    assert r10.multilabel == {"m1": 1.0, "m2": 0.5}
    assert r10.mean_top1 == 0.5 and r10.mean_multilabel == 0.75
    # class 20: the object is labelled 21 (its most selected label), so a top-1 of 20 is
    # top-1 right but not multi-label right; no frequency measured; m2 has no prediction.
    assert (r20.agreement, r20.main_object_differs, r20.dataset_sf) == (0.0, 0, None)
    assert r20.top1 == {"m1": 1.0} and r20.multilabel == {"m1": 0.0}
    assert (r30.multi_object, r30.agreement, r30.sf_measured) == (2, 1.0, 2)
    assert r30.dataset_sf == pytest.approx(0.5)
    assert r30.top1 == {"m1": pytest.approx(1 / 3), "m2": 1.0}
    assert r30.multilabel == {"m1": pytest.approx(2 / 3), "m2": 1.0}


def test_ranked_by_a_figure():
    rows = class_rows(TRUTHS, SF, PREDICTIONS)
    assert [r.label for r in ranked(rows, "multi_share")] == [30, 10, 20]  # 2/3, 1/2, 0
    assert [r.label for r in ranked(rows, "dataset_sf", descending=False)] == [30, 10]
    assert [r.label for r in ranked(rows, "images", min_images=2, limit=1)] == [30]
    with pytest.raises(ValueError, match="unknown key"):
        ranked(rows, "nothing")


def test_the_images_of_one_class():
    images = class_images(TRUTHS, 10, SF, PREDICTIONS)
    assert [(i.image, i.objects, i.main_label, i.main_object_differs) for i in images] == [
        (1, (10,), 10, False),
        (2, (10, 50), 50, True),
    ]
    assert images[1].top1 == {"m1": 50, "m2": 10}
    assert images[1].dataset_sf == 0.5
    assert class_images(TRUTHS, 99, SF, PREDICTIONS) == []
