from pipeline.rules.potential_labels import (
    mean_potential_count,
    model_counts,
    potential_labels,
    potential_labels_with_counts,
)


def test_union_of_top_k_sorted_without_duplicates() -> None:
    tops = [[5, 3, 9, 1, 2], [3, 5, 7, 8, 1]]
    assert potential_labels(tops, dataset_label=3) == [1, 2, 3, 5, 7, 8, 9]


def test_dataset_label_included_even_when_no_model_predicts_it() -> None:
    tops = [[10, 11, 12, 13, 14], [10, 11, 12, 13, 15]]
    labels = potential_labels(tops, dataset_label=999)
    assert 999 in labels
    assert labels == sorted(labels)
    assert potential_labels([], dataset_label=4) == [4]


def test_accepts_generators_and_tuples() -> None:
    tops = (tuple(range(i, i + 5)) for i in range(3))
    assert potential_labels(tops, dataset_label=0) == [0, 1, 2, 3, 4, 5, 6]


def test_counts_per_label() -> None:
    tops = [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert model_counts(tops) == {1: 1, 2: 2, 3: 3, 4: 2, 5: 1}
    assert potential_labels_with_counts(tops, dataset_label=7) == [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 2),
        (5, 1),
        (7, 0),
    ]


def test_mean_potential_count() -> None:
    assert mean_potential_count([[1, 2], [1, 2, 3, 4]]) == 3.0
    assert mean_potential_count([]) == 0.0


def test_package_exports_resolve_lazily() -> None:
    import models_zoo

    for name in models_zoo.__all__:
        assert getattr(models_zoo, name) is not None, name
