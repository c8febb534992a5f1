"""Stage 4 shell: which images go on to CLASSIFY (core: pipeline.rules.inclusion).

Per image, one of follow_up, easy, mislabeled, ambiguous, from the (selected, answers) counts
of its pairs, stored as ImageInclusion and replacing the previous ones in one transaction; the
counts per category are returned and kept in the run's message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from pipeline.models import Campaign, ImageInclusion, StageRun
from pipeline.rules import inclusion
from pipeline.stages.bulk import insert_rows
from pipeline.stages.candidates import grouped_frequencies
from pipeline.stages.runs import report_progress, stage_run


@dataclass
class InclusionResult:
    run_id: int
    images: int
    counts: dict[str, int]  # category -> images, every category

    def __str__(self) -> str:
        return ", ".join(f"{n} {category}" for category, n in self.counts.items())


def compute_inclusion(campaign: Campaign) -> InclusionResult:
    """The stage-4 category of every image (module docstring), replacing the previous ones."""
    images = grouped_frequencies(campaign)
    votes = (
        inclusion.ImageVotes(
            image, dataset, {row[2]: inclusion.Votes(row[3], row[4]) for row in rows}
        )
        for image, (dataset, rows) in images.items()
    )
    report = inclusion.include_all(votes, campaign.params)
    with stage_run(campaign, StageRun.Stage.INCLUSION, total=len(report.images)) as run:
        with transaction.atomic():
            ImageInclusion.objects.filter(campaign=campaign).delete()
            insert_rows(
                ImageInclusion,
                ("campaign_id", "image_id", "category", "run_id"),
                ((campaign.pk, r.image_id, r.category, run.pk) for r in report.images),
            )
        report_progress(run, len(report.images))
        run.message = ", ".join(f"{n} {category}" for category, n in report.counts.items())
    return InclusionResult(run.pk, len(report.images), dict(report.counts))


def inclusion_counts(campaign: Campaign) -> dict[str, int]:
    """Stored images per category, every category included (a selector for reports)."""
    rows = (
        ImageInclusion.objects.filter(campaign=campaign)
        .order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
    )
    counts = dict(rows)
    return {category: counts.get(category, 0) for category in inclusion.CATEGORIES}
