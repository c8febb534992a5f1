"""Stage 1 shell: run the model ensemble over a campaign's images, store every model's top-k,
then build the campaign's potential labels (PIPELINE.md stage 1).

The work has two steps with different keys:

* Predictions are facts about (image, model, random weights), shared by every campaign over
  the dataset (``ModelPrediction`` is unique on that triple). They are computed chunk by
  chunk; each batch is stored in its own transaction with conflicts ignored, and a chunk first
  asks which pairs are already stored, so a killed run that is started again repeats no
  finished batch and duplicates nothing, and two workers racing on a chunk store it once.
* Potential labels belong to the campaign: the union of every model's top-k plus the dataset
  label, with how many models proposed each. They are rebuilt from the stored predictions and
  replace the campaign's previous ones in one transaction.

The in-process path (``compute_potential_labels``) and the Celery path
(``pipeline.tasks.potential_labels``) call the same ``predict_chunk`` and
``build_potential_labels``. torch and timm are imported only where models run, so the admin
and the selectors below stay light.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from catalogue.models import Image, LabelClass
from pipeline.models import Campaign, ModelPrediction, PotentialLabel, StageRun
from pipeline.rules.potential_labels import potential_labels_with_counts
from pipeline.selectors import Histogram, potential_label_histogram
from pipeline.stages.runs import report_progress, stage_run

if TYPE_CHECKING:
    from models_zoo.inference import BatchResult, LoadedModel

DEFAULT_CHUNK_SIZE = 500
DEFAULT_BATCH_SIZE = 32
STORED_TOP_K = 5  # at least the paper's top-5 is kept, whatever a campaign's top_k


@dataclass(frozen=True)
class RunOptions:
    """How to run the ensemble; stored in the StageRun's params and sent to Celery tasks."""

    ensemble: str
    random_weights: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int | None = None  # DataLoader decoding processes; None: one per core, max 4
    top_k: int = STORED_TOP_K

    @classmethod
    def for_campaign(cls, campaign: Campaign, **overrides: Any) -> RunOptions:
        given = {k: v for k, v in overrides.items() if v is not None}
        top_k = max(STORED_TOP_K, campaign.top_k)
        return cls(ensemble=campaign.ensemble, top_k=top_k, **given)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def loader_workers(self) -> int:
        if self.workers is not None:
            return self.workers
        if multiprocessing.current_process().daemon:
            return 0  # a daemonic Celery pool process may not start children
        return min(4, os.cpu_count() or 1)


@dataclass
class ChunkResult:
    """What one chunk did: images handled, predictions stored, images that failed."""

    images: int = 0
    stored: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        self.images += other.images
        self.stored += other.stored
        self.failures.extend(other.failures)


@dataclass
class StageSummary:
    """The outcome of one run of the stage, for the command's report."""

    run_id: int
    chunk: ChunkResult
    images_with_labels: int
    potential_labels: int
    histogram: Histogram


# --- model names and loading ------------------------------------------------------------


def ensemble_model_names(ensemble: str) -> tuple[str, ...]:
    """The timm names of a registered ensemble; UnknownEnsembleError names the known ones."""
    from models_zoo.registry import ensemble_models

    return ensemble_models(ensemble)


def weights_dir() -> str | None:
    return settings.FINELABEL_WEIGHTS_DIR or None


@functools.lru_cache(maxsize=2)
def cached_models(
    ensemble: str, random_weights: bool, folder: str | None, device: str
) -> tuple[LoadedModel, ...]:
    """The ensemble's models, built once per process (a Celery worker keeps them loaded)."""
    from models_zoo.inference import load_models

    return tuple(
        load_models(ensemble, weights_dir=folder, random_weights=random_weights, device=device)
    )


def inference_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def models_for(options: RunOptions) -> tuple[LoadedModel, ...]:
    device = inference_device()
    return cached_models(options.ensemble, options.random_weights, weights_dir(), device)


# --- what is left to do -----------------------------------------------------------------


def _stored(model_names: Sequence[str], random_weights: bool) -> Q:
    return Q(predictions__model_name__in=model_names, predictions__random_weights=random_weights)


def pending_image_ids(
    campaign: Campaign, model_names: Sequence[str], random_weights: bool
) -> list[int]:
    """Images of the campaign's dataset lacking a prediction of at least one model."""
    return list(
        Image.objects.filter(dataset_id=campaign.dataset_id)
        .annotate(stored=Count("predictions", filter=_stored(model_names, random_weights)))
        .filter(stored__lt=len(model_names))
        .order_by("id")
        .values_list("id", flat=True)
    )


def split(ids: Sequence[int], size: int) -> list[list[int]]:
    """Consecutive chunks of at most ``size`` ids."""
    if size < 1:
        raise ValueError("The chunk size must be at least 1.")
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def done_pairs(
    image_ids: Sequence[int], model_names: Sequence[str], random_weights: bool
) -> set[tuple[int, str]]:
    return set(
        ModelPrediction.objects.filter(
            image_id__in=image_ids, model_name__in=model_names, random_weights=random_weights
        ).values_list("image_id", "model_name")
    )


# --- running a chunk --------------------------------------------------------------------


def read_stored_image(key: str) -> bytes:
    """The original image's bytes from the configured storage (module level: picklable)."""
    with default_storage.open(key, "rb") as handle:
        return handle.read()


def store_batch(batch: BatchResult) -> int:
    """Store one batch's predictions; pairs already there are left as they are."""
    rows = [
        ModelPrediction(
            image_id=p.image_key,
            model_name=p.model_name,
            weights=p.weights,
            random_weights=p.random_weights,
            labels=list(p.indices),
            probabilities=[round(v, 6) for v in p.probabilities],
        )
        for p in batch.predictions
    ]
    with transaction.atomic():
        created = ModelPrediction.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def iter_chunk(
    image_ids: Sequence[int], options: RunOptions, models: Sequence[LoadedModel]
) -> Iterator[BatchResult]:
    """The ensemble's batches over the chunk's images, skipping pairs already stored."""
    from models_zoo.inference import iter_predictions

    names = [m.name for m in models]
    items = list(
        Image.objects.filter(id__in=image_ids).order_by("id").values_list("id", "storage_key")
    )
    yield from iter_predictions(
        items,
        models,
        read_bytes=read_stored_image,
        batch_size=options.batch_size,
        num_workers=options.loader_workers,
        top_k=options.top_k,
        done=done_pairs(image_ids, names, options.random_weights),
    )


def predict_chunk(
    image_ids: Sequence[int],
    options: RunOptions,
    *,
    run: StageRun | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ChunkResult:
    """Run the ensemble on a chunk of images and store each batch as it comes.

    ``run`` gets its progress advanced (in images) after every batch; ``on_batch`` is called
    with the number of images of each stored batch.
    """
    models = models_for(options)
    result = ChunkResult()
    for batch in iter_chunk(image_ids, options, models):
        stored = store_batch(batch)
        result.add(
            ChunkResult(batch.images, stored, [(f.image_key, f.error) for f in batch.failures])
        )
        if run is not None:
            advance_progress(run, batch.images)
        if on_batch is not None:
            on_batch(batch.images)
    return result


def advance_progress(run: StageRun, images: int) -> None:
    """Add to the run's progress atomically (chunks may run in parallel on several workers)."""
    StageRun.objects.filter(pk=run.pk).update(
        done=F("done") + images,
        heartbeat_at=timezone.now(),  # a sign of life too
    )
    run.done += images


# --- potential labels -------------------------------------------------------------------


def build_potential_labels(
    campaign: Campaign, random_weights: bool, run: StageRun | None = None
) -> int:
    """Replace the campaign's potential labels by those of its stored predictions.

    Per image: the union of every model's top ``campaign.top_k`` plus the dataset label, with
    the number of models proposing each. Images are read page by page (memory stays bounded
    on a million images) inside one transaction, so readers see the old set or the new one.
    Returns the number of rows stored.
    """
    names = ensemble_model_names(campaign.ensemble)
    class_ids = dict(LabelClass.objects.values_list("index", "id"))
    images = (
        Image.objects.filter(dataset_id=campaign.dataset_id)
        .order_by("id")
        .values_list("id", "label_id", "label__index")
    )
    stored = 0
    with transaction.atomic():
        PotentialLabel.objects.filter(campaign=campaign).delete()
        for page in _pages(images.iterator(chunk_size=PAGE), PAGE):
            rows = _label_rows(campaign, run, page, names, random_weights, class_ids)
            PotentialLabel.objects.bulk_create(rows, batch_size=PAGE)
            stored += len(rows)
    return stored


PAGE = 2000


def _pages(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    page = []
    for row in rows:
        page.append(row)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def _label_rows(
    campaign: Campaign,
    run: StageRun | None,
    page: list[tuple[int, int, int]],
    names: Sequence[str],
    random_weights: bool,
    class_ids: dict[int, int],
) -> list[PotentialLabel]:
    """The PotentialLabel rows of one page of (image id, label id, label index)."""
    predicted: dict[int, list[list[int]]] = defaultdict(list)
    predictions = ModelPrediction.objects.filter(
        image_id__in=[image_id for image_id, _, _ in page],
        model_name__in=names,
        random_weights=random_weights,
    ).values_list("image_id", "labels")
    for image_id, labels in predictions:
        predicted[image_id].append(labels[: campaign.top_k])
    rows = []
    for image_id, label_id, label_index in page:
        for index, count in potential_labels_with_counts(predicted[image_id], label_index):
            dataset_label = index == label_index
            rows.append(
                PotentialLabel(
                    campaign=campaign,
                    image_id=image_id,
                    label_id=label_id if dataset_label else _class_id(class_ids, index),
                    is_dataset_label=dataset_label,
                    model_count=count,
                    run=run,
                )
            )
    return rows


def _class_id(class_ids: dict[int, int], index: int) -> int:
    try:
        return class_ids[index]
    except KeyError:
        raise LookupError(
            f"A model predicted class index {index}, which the class catalogue lacks; load "
            f"the classes the models were trained on (manage.py load_imagenet_classes)."
        ) from None


# --- the whole stage, in-process --------------------------------------------------------


def check_campaign(campaign: Campaign, options: RunOptions) -> tuple[str, ...]:
    """Validate before anything is stored: the ensemble is known and has weights."""
    names = ensemble_model_names(options.ensemble)
    if not options.random_weights:
        from models_zoo.weights import resolve_weights

        for name in names:
            resolve_weights(name, weights_dir=weights_dir())
    return names


def compute_potential_labels(
    campaign: Campaign,
    options: RunOptions | None = None,
    *,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> StageSummary:
    """Run stage 1 for ``campaign`` in this process: predictions, then potential labels.

    ``on_start`` receives the number of images to process and ``on_batch`` the images of each
    stored batch (a progress bar). An exception from either stops the run like a kill would:
    stored batches stay, and the next run goes on from there.
    """
    options = options or RunOptions.for_campaign(campaign)
    names = check_campaign(campaign, options)
    models_for(options)  # load (and fail on bad weights) before a run is recorded
    pending = pending_image_ids(campaign, names, options.random_weights)
    with stage_run(campaign, StageRun.Stage.POTENTIAL_LABELS, run_params(campaign, options)) as run:
        report_progress(run, 0, len(pending))
        if on_start is not None:
            on_start(len(pending))
        total = ChunkResult()
        for chunk in split(pending, options.chunk_size):
            total.add(predict_chunk(chunk, options, run=run, on_batch=on_batch))
        return finish(campaign, run, options.random_weights, total)


def run_params(campaign: Campaign, options: RunOptions) -> dict[str, Any]:
    return {**campaign.params.as_json(), "run": options.as_json()}


def finish(
    campaign: Campaign, run: StageRun, random_weights: bool, chunks: ChunkResult
) -> StageSummary:
    """Build the potential labels and close the run with a one-line summary."""
    stored = build_potential_labels(campaign, random_weights, run)
    histogram = potential_label_histogram(campaign)
    failed = f", {len(chunks.failures)} images failed to decode" if chunks.failures else ""
    marker = " (random weights: not real predictions)" if random_weights else ""
    run.message = (
        f"{chunks.stored} predictions stored{failed}; {stored} potential labels on "
        f"{histogram.images} images, mean {histogram.mean:.2f} per image{marker}"
    )
    return StageSummary(run.pk, chunks, histogram.images, stored, histogram)


# --- selectors --------------------------------------------------------------------------
