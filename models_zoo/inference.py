"""Batched ensemble inference: every image is read and decoded once for all models.

Stage 1 runs ten models over every image of a dataset. Run naively (each model with its own
loader) every image is read from storage, decoded and resized ten times, and for small
models that CPU work, not the model, sets the pace. Here a torch DataLoader's workers read
each image once (``read_bytes``, so the caller decides where bytes come from: a local path,
Django storage, S3), decode it with PIL, and apply each preprocessing group's geometry
transform (see ``preprocess``); every model of a group consumes that group's tensor. On the
CPU the workers also normalise (one tensor per distinct mean/std: a ``Feed``), so the main
process only runs models; on CUDA they send uint8 and the device normalises.

On the model side: ``torch.inference_mode``, channels_last, and on CUDA bf16 autocast with
pinned memory and non-blocking copies. Softmax and top-k are computed in float32.

The API is a generator of per-batch results, so the caller can store chunk by chunk (a crash
loses at most one batch) and drive a progress bar. Pairs (image_key, model_name) the caller
already stored are passed as ``done`` and never recomputed; an image with nothing left to do
is not even read. An image that cannot be read or decoded is reported as an
``ImageFailure`` and the run goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image
from torch.utils.data import DataLoader

from models_zoo.loading import (
    Batch,
    Collate,
    DecodeDataset,
    ImageKey,
    ReadBytes,
    WorkItem,
    plan_work,
    read_local_file,
)
from models_zoo.preprocess import (
    Feed,
    PreprocessSpec,
    group_by_preprocessing,
    normalize,
    plan_feeds,
)
from models_zoo.registry import resolve_models
from models_zoo.weights import WeightsSource, create_model

DEFAULT_TOP_K = 5


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for inference, with its preprocessing and weights provenance."""

    name: str
    module: torch.nn.Module
    spec: PreprocessSpec
    weights: WeightsSource

    @property
    def random_weights(self) -> bool:
        return self.weights.random_weights


@dataclass(frozen=True)
class Prediction:
    """One model's top-k on one image; ``indices`` best first, ``probabilities`` alike."""

    image_key: ImageKey
    model_name: str
    indices: tuple[int, ...]
    probabilities: tuple[float, ...]
    random_weights: bool
    weights: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "image_key": self.image_key,
            "model_name": self.model_name,
            "indices": list(self.indices),
            "probabilities": list(self.probabilities),
            "random_weights": self.random_weights,
            "weights": self.weights,
        }


@dataclass(frozen=True)
class ImageFailure:
    """An image that could not be read, decoded or transformed, and why."""

    image_key: ImageKey
    error: str


@dataclass
class BatchResult:
    """What one batch produced. ``images`` counts every image handled, failed ones too."""

    predictions: list[Prediction] = field(default_factory=list)
    failures: list[ImageFailure] = field(default_factory=list)
    images: int = 0


def load_models(
    ensemble: str | Sequence[str],
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    random_weights: bool = False,
    device: str | torch.device = "cpu",
    cache_dir: str | os.PathLike[str] | None = None,
    channels_last: bool = True,
) -> list[LoadedModel]:
    """Build every model of ``ensemble`` (a registry name or a list of timm names)."""
    loaded = []
    for name in resolve_models(ensemble):
        module, source = create_model(
            name, weights_dir=weights_dir, random_weights=random_weights, cache_dir=cache_dir
        )
        spec = PreprocessSpec.from_model(module)
        module = module.to(device)
        if channels_last:
            module = module.to(memory_format=torch.channels_last)
        loaded.append(LoadedModel(name, module, spec, source))
    return loaded


class _Runner:
    """Runs every pending model of a collated batch and builds the results.

    With ``pool`` (CPU, several models), the batch's models run concurrently, one model per
    thread with one intra-op thread each: the models of an ensemble are independent, so this
    keeps every core busy without the per-operator synchronisation of intra-op threads, which
    small models cannot amortise. Each model's arithmetic is the same as run alone.
    """

    def __init__(
        self,
        models: Sequence[LoadedModel],
        feeds: list[Feed],
        plan: list[WorkItem],
        top_k: int,
        bf16: bool,
        channels_last: bool,
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self.models = models
        self.feeds = feeds
        self.plan = plan
        self.top_k = top_k
        self.channels_last = channels_last
        self.pool = pool
        index = {m.name: i for i, m in enumerate(models)}
        self.members = [[index[name] for name in feed.model_names] for feed in feeds]
        self.device = _model_device(models[0].module)
        self.non_blocking = self.device.type == "cuda"
        self.bf16 = bf16

    def run(self, batch: Batch) -> BatchResult:
        with torch.inference_mode():
            jobs = [job for f, (t, rows) in batch.feeds.items() for job in self._jobs(f, t, rows)]
        if self.pool is not None and len(jobs) > 1:
            done = list(self.pool.map(self._predict, *zip(*jobs, strict=True)))
        else:
            done = [self._predict(*job) for job in jobs]
        found = {
            (row, m): p
            for (m, _, rows), preds in zip(jobs, done, strict=True)
            for row, p in zip(rows, preds, strict=True)
        }
        failures = [ImageFailure(self.plan[i].key, error) for i, error in batch.errors]
        ordered = [found[k] for k in sorted(found)]
        return BatchResult(ordered, failures, batch.size)

    def _jobs(
        self, f: int, tensor: torch.Tensor, rows: list[int]
    ) -> list[tuple[int, torch.Tensor, list[int]]]:
        """(model, input, plan rows) for each model of the feed with rows still to do."""
        images = tensor.to(self.device, non_blocking=self.non_blocking)
        normalised: dict[Any, torch.Tensor] = {}
        jobs = []
        for m in self.members[f]:
            picked = [r for r, i in enumerate(rows) if m in self.plan[i].models]
            if not picked:
                continue
            x = self._input(images, self.models[m].spec, normalised)
            if len(picked) < len(rows):
                x = x[torch.tensor(picked, device=x.device)]
            jobs.append((m, x, [rows[r] for r in picked]))
        return jobs

    def _input(
        self, images: torch.Tensor, spec: PreprocessSpec, cache: dict[Any, torch.Tensor]
    ) -> torch.Tensor:
        """The model's input: normalised by the workers already, or here once per mean/std."""
        if images.is_floating_point():
            return images
        if spec.norm_key not in cache:
            cache[spec.norm_key] = normalize(images, spec, channels_last=self.channels_last)
        return cache[spec.norm_key]

    def _predict(self, m: int, x: torch.Tensor, rows: list[int]) -> list[Prediction]:
        # inference_mode and autocast are per thread: entered here, in the running thread.
        model = self.models[m]
        autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()
        )
        with torch.inference_mode(), autocast:
            logits = model.module(x)
            probs, indices = logits.float().softmax(dim=-1).topk(self.top_k, dim=-1)
        probs_list, indices_list = probs.cpu().tolist(), indices.cpu().tolist()
        return [
            Prediction(
                image_key=self.plan[row].key,
                model_name=model.name,
                indices=tuple(idx),
                probabilities=tuple(p),
                random_weights=model.random_weights,
                weights=model.weights.tag,
            )
            for row, idx, p in zip(rows, indices_list, probs_list, strict=True)
        ]


def iter_predictions(
    items: Sequence[tuple[ImageKey, Any]],
    models: Sequence[LoadedModel],
    *,
    read_bytes: ReadBytes = read_local_file,
    batch_size: int = 32,
    num_workers: int = 2,
    top_k: int = DEFAULT_TOP_K,
    done: Collection[tuple[ImageKey, str]] = (),
    bf16: bool | None = None,
    channels_last: bool = True,
    normalize_in_workers: bool | None = None,
    threads: int | None = None,
    model_threads: int | None = None,
) -> Iterator[BatchResult]:
    """Yield one ``BatchResult`` per batch of images still to do.

    ``items`` are (image_key, source) pairs; ``read_bytes(source)`` must be a picklable
    module-level function when ``num_workers > 0``. ``bf16`` defaults to True on CUDA;
    ``normalize_in_workers`` to True on the CPU (see ``preprocess``). On the CPU,
    ``model_threads`` models run at once (default: one per core, at most one per model) and
    ``threads`` is torch's intra-op thread count meanwhile (default: 1 when models run
    concurrently, else see ``cpu_threads``). The length
    of ``plan_work(items, [m.name for m in models], done)`` is the number of images the
    batches will count in total (for a progress bar).
    """
    if not models:
        raise ValueError("No models to run.")
    _check_top_k(models, top_k)
    plan = plan_work(items, [m.name for m in models], done)
    if not plan:
        return
    device = _model_device(models[0].module)
    in_workers = device.type == "cpu" if normalize_in_workers is None else normalize_in_workers
    feeds, transforms = _plan_feeds(models, in_workers)
    use_bf16 = device.type == "cuda" if bf16 is None else bf16
    concurrent = _model_threads(models, device) if model_threads is None else model_threads
    if threads is None:
        threads = 1 if concurrent > 1 else cpu_threads(num_workers)
    dataset = _dataset(plan, models, feeds, transforms, read_bytes)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=Collate(feeds, channels_last),
        pin_memory=device.type == "cuda",
    )
    with (
        _intra_op_threads(threads, device),
        ThreadPoolExecutor(concurrent) if concurrent > 1 else nullcontext() as pool,
    ):
        runner = _Runner(models, feeds, plan, top_k, use_bf16, channels_last, pool)
        for batch in loader:
            yield runner.run(batch)


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _model_threads(models: Sequence[LoadedModel], device: torch.device) -> int:
    """How many models run at once: on the CPU one per core (at most one per model)."""
    return min(len(models), _cores()) if device.type == "cpu" else 1


def cpu_threads(num_workers: int) -> int:
    """Intra-op threads for models on the CPU: the cores the loader workers leave free.

    The workers decode all the time the models run, so torch's default (one thread per
    core) puts more busy threads than cores on the machine; each multi-threaded operator
    then waits for its slowest, descheduled thread, and small models lose more to that
    synchronisation than the extra thread gives. bench/ensemble.py measures it (figures in
    bench/README.md).
    """
    return max(1, _cores() - num_workers)


@contextmanager
def _intra_op_threads(count: int, device: torch.device) -> Iterator[None]:
    """torch's thread count set for the block (CPU only), restored afterwards."""
    previous = torch.get_num_threads()
    if device.type == "cpu" and count != previous:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def run_predictions(
    items: Sequence[tuple[ImageKey, Any]], models: Sequence[LoadedModel], **kwargs: Any
) -> BatchResult:
    """All batches of ``iter_predictions`` merged into one result (small jobs, tests)."""
    total = BatchResult()
    for batch in iter_predictions(items, models, **kwargs):
        total.predictions.extend(batch.predictions)
        total.failures.extend(batch.failures)
        total.images += batch.images
    return total


def _plan_feeds(
    models: Sequence[LoadedModel], normalize_in_workers: bool
) -> tuple[list[Feed], list[Callable[[Image.Image], torch.Tensor]]]:
    specs = {m.name: m.spec for m in models}
    groups = group_by_preprocessing(specs)
    feeds = plan_feeds(groups, specs, normalize_in_workers=normalize_in_workers)
    return feeds, [group.transform() for group in groups]


def _dataset(
    plan: list[WorkItem],
    models: Sequence[LoadedModel],
    feeds: list[Feed],
    transforms: list[Callable[[Image.Image], torch.Tensor]],
    read_bytes: ReadBytes,
) -> DecodeDataset:
    feed_of = {name: f for f, feed in enumerate(feeds) for name in feed.model_names}
    needed = [tuple(sorted({feed_of[models[m].name] for m in w.models})) for w in plan]
    return DecodeDataset(needed, [w.source for w in plan], feeds, transforms, read_bytes)


def _check_top_k(models: Sequence[LoadedModel], top_k: int) -> None:
    for model in models:
        classes = getattr(model.module, "num_classes", None)
        if top_k < 1 or (classes is not None and top_k > classes):
            raise ValueError(f"top_k={top_k} is out of range for {model.name} ({classes}).")


def _model_device(module: torch.nn.Module) -> torch.device:
    for parameter in module.parameters():
        return parameter.device
    return torch.device("cpu")
