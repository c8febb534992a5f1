"""Reads of the pipeline's data shared by commands, the admin and the dashboard."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from core.errors import NotFound
from pipeline.models import Campaign, ImageLabels, ModelPrediction, PotentialLabel

RANDOM_WEIGHTS_NOTE = "From untrained (random) weights: not meaningful labels."


def get_campaign(ref: str | int) -> Campaign:
    """A campaign by id or by name: every command's --campaign."""
    ref = str(ref).strip()
    campaign = Campaign.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    campaign = campaign or Campaign.objects.filter(name=ref).first()
    if campaign is None:
        names = ", ".join(f"{c.pk} {c.name!r}" for c in Campaign.objects.order_by("pk")[:10])
        raise NotFound(f"No campaign with id or name {ref!r}; campaigns: {names or 'none'}")
    return campaign


@dataclass(frozen=True)
class Histogram:
    """Potential labels per image (the paper's figure 11): images per count, mean, median."""

    counts: dict[int, int]
    images: int
    mean: float
    median: float

    def rows(self) -> list[tuple[int, int]]:
        """(number of potential labels, number of images), every count from min to max."""
        if not self.counts:
            return []
        low, high = min(self.counts), max(self.counts)
        return [(n, self.counts.get(n, 0)) for n in range(low, high + 1)]


@dataclass(frozen=True)
class PotentialLabelsSource:
    """What a campaign's stored potential labels were built from."""

    top_k: int
    random_weights: bool


def potential_labels_source(campaign: Campaign) -> PotentialLabelsSource:
    """The top-k and the kind of weights of the run that built the campaign's potential
    labels (its StageRun params; every row of a build points at the same run). Without a
    recorded run: the campaign's own top_k, and random weights when the dataset's stored
    predictions are all of random weights."""
    params = (
        PotentialLabel.objects.filter(campaign=campaign, run__isnull=False)
        .order_by()
        .values_list("run__params", flat=True)[:1]
    )
    for found in params:
        run = found.get("run") or {}
        return PotentialLabelsSource(
            int(found.get("top_k", campaign.top_k)), bool(run.get("random_weights", False))
        )
    stored = ModelPrediction.objects.filter(image__dataset_id=campaign.dataset_id)
    random_only = (
        stored.filter(random_weights=True).exists()
        and not stored.filter(random_weights=False).exists()
    )
    return PotentialLabelsSource(campaign.top_k, random_only)


def potential_label_histogram(campaign: Campaign) -> Histogram:
    """How many images have each number of potential labels in ``campaign``."""
    per_image = (
        PotentialLabel.objects.filter(campaign=campaign)
        .values("image_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("n", flat=True)
    )
    counts = Counter(per_image)
    return histogram_from_counts(dict(counts))


def histogram_from_counts(counts: dict[int, int]) -> Histogram:
    """Mean and median of a {labels per image: images} table."""
    images = sum(counts.values())
    if not images:
        return Histogram({}, 0, 0.0, 0.0)
    mean = sum(n * k for n, k in counts.items()) / images
    ordered = dict(sorted(counts.items()))
    median = (_nth(ordered, (images - 1) // 2) + _nth(ordered, images // 2)) / 2
    return Histogram(ordered, images, mean, median)


def _nth(ordered: dict[int, int], position: int) -> int:
    """The value at ``position`` (0-based) of the sorted values a count table stands for."""
    seen = 0
    for value, count in ordered.items():
        seen += count
        if position < seen:
            return value
    raise IndexError(position)


def latest_labelled_campaign(campaigns: QuerySet[Campaign]) -> Campaign | None:
    """The most recent of `campaigns` that has final labels: what a dataset's export means
    (a newer campaign still running would otherwise export no labels)."""
    labelled = campaigns.filter(pk__in=ImageLabels.objects.values("campaign_id"))
    return labelled.select_related("dataset").order_by("-created_at", "-id").first()
