"""Stage 3 shell: candidate sets, from the stored selection frequencies.

Core: pipeline.rules.candidates. Per image, the five rules of PIPELINE.md over the
frequencies of its potential labels, with the WordNet distance of the catalogue (the stored
`LabelClass.hypernym_distances`, no nltk at run time). Each candidate is stored as a
CandidateLabel with the rule that admitted it and its `rank`: rules in order (1 dataset label,
2 frequent, 3 distant, 4 filled), highest frequency first within a rule, then label id.

Reads the SelectionFrequency rows of the campaign (`grouped_frequencies`, shared with stage
4) and replaces its previous output in one transaction. The images are those with selection
frequencies (every image tested in a grid); an image's dataset label is its Image.label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction

from catalogue.models import LabelClass
from core.errors import MissingInput
from pipeline.models import Campaign, CandidateLabel, SelectionFrequency, StageRun
from pipeline.rules import candidates as core
from pipeline.rules.wordnet import distance_function
from pipeline.stages.bulk import insert_rows
from pipeline.stages.runs import report_progress, stage_run


@dataclass
class CandidatesResult:
    run_id: int
    images: int
    candidates: int
    by_rule: dict[int, int]  # rule -> candidates admitted by it
    truncated: dict[str, int]  # rule 5 condition -> images truncated under it
    sizes: dict[int, int]  # candidates per image -> images

    def __str__(self) -> str:
        return f"{self.candidates} for {self.images} images, by rule {self.by_rule}"


Row = tuple[int, int, int, int, int, float | None]  # image, dataset label, label, sel, ans, sf


def _rows(campaign: Campaign) -> Iterator[Row]:
    rows = (
        SelectionFrequency.objects.filter(campaign=campaign)
        .order_by("image_id", "label_id")
        .values_list("image_id", "image__label_id", "label_id", "selected", "answers", "frequency")
    )
    return rows.iterator(chunk_size=50_000)


def grouped_frequencies(campaign: Campaign) -> dict[int, tuple[int, list[Row]]]:
    """image -> (dataset label, its rows); MissingInput when there are none."""
    images: dict[int, tuple[int, list[Row]]] = {}
    for row in _rows(campaign):
        images.setdefault(row[0], (row[1], []))[1].append(row)
    if not images:
        raise MissingInput(
            f"campaign {campaign.name!r} has no selection frequencies: compute them first"
        )
    return images


def catalogue_distance(label_ids: set[int]) -> core.Distance:
    """WordNet edges between two labels from the catalogue's stored hierarchy."""
    ancestors = dict(
        LabelClass.objects.filter(pk__in=label_ids).values_list("pk", "hypernym_distances")
    )
    plain = distance_function(ancestors)

    def distance(a: int, b: int) -> int | None:
        if a != b and not (ancestors.get(a) and ancestors.get(b)):
            raise MissingInput(
                "The class catalogue has no WordNet hierarchy: run "
                "`python manage.py load_imagenet_classes` with WordNet installed."
            )
        return plain(a, b)

    return distance


def compute_candidates(campaign: Campaign) -> CandidatesResult:
    """Candidate sets of every image (module docstring), replacing the previous ones."""
    images = grouped_frequencies(campaign)
    labels = {row[2] for _, rows in images.values() for row in rows}
    labels |= {dataset for dataset, _ in images.values()}
    inputs = (
        core.ImageFrequencies(image, dataset, {row[2]: row[5] for row in rows})
        for image, (dataset, rows) in images.items()
    )
    sets = list(core.candidate_sets(inputs, catalogue_distance(labels), campaign.params))
    with stage_run(campaign, StageRun.Stage.CANDIDATES, total=len(sets)) as run:
        with transaction.atomic():
            CandidateLabel.objects.filter(campaign=campaign).delete()
            stored = insert_rows(
                CandidateLabel,
                ("campaign_id", "image_id", "label_id", "rule", "rank", "run_id"),
                _candidate_rows(campaign.pk, run.pk, sets),
            )
        report_progress(run, len(sets))
        result = _candidates_result(run.pk, sets, stored)
        run.message = (
            f"{result.images} images, {result.candidates} candidates; by rule {result.by_rule}; "
            f"truncated {result.truncated}"
        )
    return result


def _candidate_rows(campaign_id: int, run_id: int, sets: list[core.CandidateSet]):
    for cset in sets:
        admitted = sorted(cset.candidates, key=lambda c: (c.rule, -(c.frequency or 0.0), c.label))
        for rank, candidate in enumerate(admitted, start=1):
            yield (campaign_id, cset.image_id, candidate.label, candidate.rule, rank, run_id)


def _candidates_result(run_id: int, sets: list[core.CandidateSet], stored: int):
    by_rule: Counter[int] = Counter()
    truncated: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    for cset in sets:
        by_rule.update(c.rule for c in cset.candidates)
        truncated.update(cset.truncation)
        sizes[len(cset.candidates)] += 1
    return CandidatesResult(
        run_id,
        len(sets),
        stored,
        dict(sorted(by_rule.items())),
        dict(truncated),
        dict(sorted(sizes.items())),
    )
