"""Candidate sets: the five rules one by one, truncation, ordering, distance caching."""

from __future__ import annotations

from pipeline.params import CampaignParams
from pipeline.rules.candidates import (
    BEYOND_SIXTH_LOWER,
    DATASET_LABEL,
    DATASET_SF_FLOOR,
    DISTANT,
    FILLED,
    FREQUENT,
    ImageFrequencies,
    cached_distance,
    candidate_set,
    candidate_sets,
)

D = 1  # the dataset label in every example
PAPER = CampaignParams()


def near(a: int, b: int) -> int:
    """Every label close to every other: rule 3 never applies."""
    return 0 if a == b else 2


def distances(far: dict[int, int | None], default: int = 2):
    """Distance from the dataset label D: `far` overrides the default for some labels."""

    def distance(a: int, b: int) -> int | None:
        assert a == D, "only distances from the dataset label are needed"
        return far.get(b, default)

    return distance


def build(freqs: dict, distance=near, params=PAPER):
    return candidate_set(ImageFrequencies(7, D, freqs), distance, params)


def rules(result) -> dict[int, int]:
    return {c.label: c.rule for c in result.candidates}


def test_rule1_dataset_label_whatever_its_frequency():
    for sf in (0.0, None, 1.0):
        result = build({D: sf, 2: 0.0})
        assert rules(result) == {D: DATASET_LABEL}
        assert result.candidates[0].frequency == sf
    result = build({2: 0.0})  # the caller left the dataset label out: frequency None
    assert rules(result) == {D: DATASET_LABEL} and result.candidates[0].frequency is None


def test_rule2_frequency_at_least_one_half():
    freqs = {D: 0.2, 2: 0.5, 3: 0.49, 4: 0.9, 5: 0.75, 6: 1.0, 7: 0.6, 8: 0.0}
    result = build(freqs)
    assert rules(result) == {D: 1, 2: FREQUENT, 4: FREQUENT, 5: FREQUENT, 6: FREQUENT, 7: FREQUENT}
    assert 3 not in rules(result)  # 0.49, near, and the set already has 5


def test_rule3_distant_labels_with_nonzero_frequency():
    freqs = {D: 0.9, 2: 0.1, 3: 0.1, 4: 0.1, 5: 0.0, 6: 0.1, 7: None, 8: 0.6}
    distance = distances({2: 6, 3: 5, 4: None, 5: 12, 6: 40, 7: 30})
    result = build(freqs, distance, CampaignParams(candidate_min=1))
    # 6 edges is more than 5 (admitted); exactly 5 is not; None (no common ancestor) is far;
    # frequency 0 or None never qualifies; 8 came in by rule 2 first.
    assert rules(result) == {D: 1, 8: FREQUENT, 2: DISTANT, 4: DISTANT, 6: DISTANT}


def test_rule3_admits_beyond_the_minimum_and_rule2_takes_precedence():
    freqs = {D: 0.9, 2: 0.7} | {label: 0.2 for label in range(3, 9)}
    distance = distances({label: 8 for label in range(2, 9)})
    result = build(freqs, distance)
    # eight candidates; rule 5 then cuts the two ranked last (0.2 < 0.9, the dataset label's)
    assert rules(result) == {D: 1, 2: FREQUENT, 3: DISTANT, 4: DISTANT, 5: DISTANT, 6: DISTANT}
    assert result.truncated == (7, 8)


def test_rule4_fills_to_five_by_frequency_then_label_id_nonzero_only():
    freqs = {D: 0.9, 2: 0.3, 3: 0.1, 4: 0.3, 5: 0.2, 6: 0.0, 7: None, 8: 0.05, 9: 0.3}
    result = build(freqs)
    # 0.3 x3 (labels 2, 4, 9) then 0.2 (label 5) make five; 0.1 and 0.05 are left out.
    assert rules(result) == {D: 1, 2: FILLED, 4: FILLED, 9: FILLED, 5: FILLED}
    assert result.truncated == ()


def test_rule4_ties_broken_by_label_id():
    freqs = {D: 0.9, 12: 0.3, 11: 0.3, 10: 0.3, 13: 0.3, 14: 0.3}
    assert set(rules(build(freqs))) == {D, 10, 11, 12, 13}


def test_rule4_never_adds_zero_frequency_labels():
    freqs = {D: 0.9, 2: 0.2, 3: 0.0, 4: None, 5: 0.0}
    result = build(freqs)
    assert rules(result) == {D: 1, 2: FILLED}


def test_rule4_counts_earlier_candidates():
    freqs = {D: 0.9, 2: 0.8, 3: 0.6, 4: 0.1, 5: 0.2, 6: 0.3, 7: 0.15}
    result = build(freqs, distances({4: 9}))
    assert rules(result) == {D: 1, 2: FREQUENT, 3: FREQUENT, 4: DISTANT, 6: FILLED}


def test_candidates_are_ranked_by_frequency_then_label_id():
    freqs = {D: 0.5, 9: 0.5, 3: 0.9, 4: 0.7, 2: 0.7}
    assert build(freqs).labels == [3, 2, 4, D, 9]
    # the dataset label is ranked by its own frequency, None as 0
    assert build({D: None, 2: 0.6, 3: 0.1}).labels == [2, 3, D]


FAR = distances({}, default=9)  # every label a different object: rule 3 admits them all


def eight_candidates(dataset_sf: float | None, tail: tuple[float, float]) -> dict:
    """Dataset label plus 7 distant labels: six strong ones and a tail of two (ranked 7-8)."""
    freqs = {D: dataset_sf, 2: 0.95, 3: 0.9, 4: 0.85, 5: 0.8, 6: 0.75}
    freqs[7], freqs[8] = tail
    return freqs


def test_rule5a_truncates_when_labels_beyond_sixth_are_lower():
    # ranking: 2, 3, 4, 5, 6, D (0.7), then 7 (0.3), 8 (0.2): both lower than the dataset label.
    result = build(eight_candidates(0.7, (0.3, 0.2)), FAR)
    assert result.labels == [2, 3, 4, 5, 6, D]
    assert result.truncated == (7, 8)
    assert result.truncation == (BEYOND_SIXTH_LOWER,)


def test_rule5a_needs_every_label_beyond_sixth_strictly_lower():
    # 7 ties with the dataset label at 0.7 and ranks after it (higher label id): not lower.
    result = build(eight_candidates(0.7, (0.7, 0.2)), FAR)
    assert len(result.candidates) == 8 and result.truncated == () and result.truncation == ()


def test_rule5a_fails_when_the_dataset_label_itself_is_beyond_sixth():
    # ranking: 2..6, 7 (0.6), D (0.5), 8 (0.4): D is 7th, not lower than itself.
    result = build(eight_candidates(0.5, (0.6, 0.4)), FAR)
    assert len(result.candidates) == 8 and result.truncation == ()


def test_rule5b_truncates_when_dataset_frequency_is_at_most_one_eighth_keeping_it():
    # D at 0.125 ranks last; the five best and the dataset label stay.
    result = build(eight_candidates(0.125, (0.6, 0.4)), FAR)
    assert result.labels == [2, 3, 4, 5, 6, D]
    assert result.truncated == (7, 8)
    assert result.truncation == (DATASET_SF_FLOOR,)
    assert rules(result)[D] == DATASET_LABEL


def test_rule5b_boundary_just_above_one_eighth():
    result = build(eight_candidates(2 / 15, (0.6, 0.4)), FAR)  # 0.133 > 1/8, and (a) fails
    assert len(result.candidates) == 8 and result.truncation == ()


def test_rule5b_with_zero_or_no_answers_for_the_dataset_label():
    for sf in (0.0, None):
        result = build(eight_candidates(sf, (0.6, 0.4)), FAR)
        assert result.labels == [2, 3, 4, 5, 6, D]
        assert result.truncation == (DATASET_SF_FLOOR,)


def test_rule5_both_conditions_recorded():
    # D at 0.1 ranks 6th ahead of two lower labels (0.05, 0.02): (a) and (b) both hold.
    freqs = {D: 0.1, 2: 0.95, 3: 0.9, 4: 0.85, 5: 0.8, 7: 0.05, 8: 0.02}
    result = build(freqs, FAR)
    assert result.labels == [2, 3, 4, 5, D, 7]
    assert result.truncated == (8,)
    assert result.truncation == (BEYOND_SIXTH_LOWER, DATASET_SF_FLOOR)


def test_rule5_leaves_six_or_fewer_alone():
    freqs = {D: 0.0, 2: 0.95, 3: 0.9, 4: 0.85, 5: 0.8, 6: 0.75}
    result = build(freqs, FAR)
    assert len(result.candidates) == 6 and result.truncation == ()


def test_distance_is_asked_only_when_needed_and_cached_across_images():
    calls = []

    def distance(a: int, b: int) -> int:
        calls.append((a, b))
        return 3

    images = [
        ImageFrequencies(i, D, {D: 0.9, 2: 0.6, 3: 0.2, 4: 0.0, 5: None, 6: 0.1}) for i in range(50)
    ]
    results = list(candidate_sets(images, distance))
    assert len(results) == 50 and results[0].labels == [D, 2, 3, 6]
    # 2 is admitted by rule 2, 4 and 5 have no frequency: only 3 and 6 need a distance, once.
    assert sorted(calls) == [(D, 3), (D, 6)]


def test_cached_distance_keeps_none_results():
    calls = []

    def distance(a: int, b: int) -> int | None:
        calls.append((a, b))
        return None

    cached = cached_distance(distance)
    assert cached(1, 2) is None and cached(1, 2) is None and cached(2, 1) is None
    assert calls == [(1, 2), (2, 1)]


def test_parameters_are_respected():
    params = CampaignParams(
        candidate_sf_threshold=0.8,
        candidate_wordnet_distance=2,
        candidate_min=3,
        candidate_max=4,
        candidate_dataset_sf_floor=0.3,
    )
    freqs = {D: 0.25, 2: 0.8, 3: 0.7, 4: 0.6, 5: 0.5, 6: 0.4}
    result = build(freqs, distances({5: 3, 6: 3}), params)
    # rule 2: 2 (0.8); rule 3: 5 and 6 (3 > 2 edges); no filling (4 >= 3); 4 is the maximum.
    assert rules(result) == {D: 1, 2: FREQUENT, 5: DISTANT, 6: DISTANT}
    freqs[7] = 0.35
    result = build(freqs, distances({5: 3, 6: 3, 7: 3}), params)
    assert result.labels == [2, 5, 6, D]  # D at 0.25 <= 0.3: cut to 4, D kept
    assert result.truncated == (7,) and result.truncation == (DATASET_SF_FLOOR,)
