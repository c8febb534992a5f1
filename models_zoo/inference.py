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

import io
import os
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from .preprocess import (
    Feed,
    PreprocessSpec,
    group_by_preprocessing,
    normalize,
    plan_feeds,
)
from .registry import resolve_models
from .weights import WeightsSource, create_model

ImageKey = Hashable
ReadBytes = Callable[[Any], bytes]
DEFAULT_TOP_K = 5


def read_local_file(source: str | os.PathLike[str]) -> bytes:
    """Default ``read_bytes``: the bytes of a local file path."""
    with open(source, "rb") as handle:
        return handle.read()


def decode_image(data: bytes) -> Image.Image:
    """Decode image bytes to an RGB PIL image (fully loaded, so truncation fails here).

    Most JPEGs are RGB already; those are returned as decoded, without a converting copy.
    """
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image if image.mode == "RGB" else image.convert("RGB")


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


@dataclass(frozen=True)
class WorkItem:
    """An image to process and the models (by position in the ensemble) still to run."""

    key: ImageKey
    source: Any
    models: tuple[int, ...]


def plan_work(
    items: Sequence[tuple[ImageKey, Any]],
    model_names: Sequence[str],
    done: Collection[tuple[ImageKey, str]] = (),
) -> list[WorkItem]:
    """Items with at least one (image, model) pair not in ``done``, in input order."""
    done_set = done if isinstance(done, set | frozenset) else set(done)
    plan = []
    for key, source in items:
        pending = tuple(i for i, name in enumerate(model_names) if (key, name) not in done_set)
        if pending:
            plan.append(WorkItem(key, source, pending))
    return plan


class _DecodeDataset(Dataset):
    """Reads and decodes each image once and returns one tensor per feed it needs."""

    def __init__(
        self,
        needed_feeds: list[tuple[int, ...]],
        sources: list[Any],
        feeds: list[Feed],
        transforms: list[Callable[[Image.Image], torch.Tensor]],
        read_bytes: ReadBytes,
    ) -> None:
        self.needed_feeds = needed_feeds
        self.sources = sources
        self.feeds = feeds
        self.transforms = transforms
        self.read_bytes = read_bytes

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> tuple[int, dict[int, torch.Tensor], str | None]:
        try:
            image = decode_image(self.read_bytes(self.sources[index]))
            tensors = self._feed_tensors(image, self.needed_feeds[index])
        except Exception as exc:  # any bad image is reported, never fatal
            return index, {}, f"{type(exc).__name__}: {exc}"
        return index, tensors, None

    def _feed_tensors(self, image: Image.Image, needed: tuple[int, ...]) -> dict[int, torch.Tensor]:
        resized: dict[int, torch.Tensor] = {}
        out = {}
        for f in needed:
            feed = self.feeds[f]
            if feed.group not in resized:
                resized[feed.group] = self.transforms[feed.group](image)
            pixels = resized[feed.group]
            if feed.norm is not None:
                pixels = normalize(pixels.unsqueeze(0), feed.norm, channels_last=False)[0]
            out[f] = pixels
        return out


@dataclass
class _Batch:
    """Collated batch: per feed a stacked tensor and the plan rows it holds."""

    feeds: dict[int, tuple[torch.Tensor, list[int]]]
    errors: list[tuple[int, str]]
    size: int

    def pin_memory(self) -> _Batch:
        pinned = {f: (t.pin_memory(), rows) for f, (t, rows) in self.feeds.items()}
        return _Batch(pinned, self.errors, self.size)


class _Collate:
    """Stacks each feed into one batch tensor, channels_last when asked.

    Per-image tensors from ``pil_to_tensor`` are CHW views of HWC memory, so copying them
    into a channels_last batch is a plain copy; ``torch.stack`` followed by a layout change
    would permute every pixel twice.
    """

    def __init__(self, channels_last: bool) -> None:
        self.channels_last = channels_last

    def __call__(self, samples: list[tuple[int, dict[int, torch.Tensor], str | None]]) -> _Batch:
        tensors: dict[int, list[torch.Tensor]] = {}
        rows: dict[int, list[int]] = {}
        errors = []
        for index, by_feed, error in samples:
            if error is not None:
                errors.append((index, error))
            for f, tensor in by_feed.items():
                tensors.setdefault(f, []).append(tensor)
                rows.setdefault(f, []).append(index)
        stacked = {f: (self._stack(ts), rows[f]) for f, ts in tensors.items()}
        return _Batch(stacked, errors, len(samples))

    def _stack(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        layout = torch.channels_last if self.channels_last else torch.contiguous_format
        first = tensors[0]
        batch = torch.empty((len(tensors), *first.shape), dtype=first.dtype, memory_format=layout)
        for row, tensor in enumerate(tensors):
            batch[row].copy_(tensor)
        return batch


class _Runner:
    """Runs every pending model of a collated batch and builds the results."""

    def __init__(
        self,
        models: Sequence[LoadedModel],
        feeds: list[Feed],
        plan: list[WorkItem],
        top_k: int,
        bf16: bool,
        channels_last: bool,
    ) -> None:
        self.models = models
        self.feeds = feeds
        self.plan = plan
        self.top_k = top_k
        self.channels_last = channels_last
        index = {m.name: i for i, m in enumerate(models)}
        self.members = [[index[name] for name in feed.model_names] for feed in feeds]
        self.device = _model_device(models[0].module)
        self.non_blocking = self.device.type == "cuda"
        self.autocast = (
            torch.autocast(self.device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        )

    def run(self, batch: _Batch) -> BatchResult:
        found: dict[tuple[int, int], Prediction] = {}
        with torch.inference_mode():
            for f, (tensor, rows) in batch.feeds.items():
                found.update(self._run_feed(f, tensor, rows))
        failures = [ImageFailure(self.plan[i].key, error) for i, error in batch.errors]
        ordered = [found[k] for k in sorted(found)]
        return BatchResult(ordered, failures, batch.size)

    def _run_feed(
        self, f: int, tensor: torch.Tensor, rows: list[int]
    ) -> dict[tuple[int, int], Prediction]:
        images = tensor.to(self.device, non_blocking=self.non_blocking)
        normalised: dict[Any, torch.Tensor] = {}
        out = {}
        for m in self.members[f]:
            picked = [r for r, i in enumerate(rows) if m in self.plan[i].models]
            if not picked:
                continue
            x = self._input(images, self.models[m].spec, normalised)
            if len(picked) < len(rows):
                x = x[torch.tensor(picked, device=x.device)]
            plan_rows = [rows[r] for r in picked]
            predictions = self._predict(self.models[m], x, plan_rows)
            out.update({(row, m): p for row, p in zip(plan_rows, predictions, strict=True)})
        return out

    def _input(
        self, images: torch.Tensor, spec: PreprocessSpec, cache: dict[Any, torch.Tensor]
    ) -> torch.Tensor:
        """The model's input: normalised by the workers already, or here once per mean/std."""
        if images.is_floating_point():
            return images
        if spec.norm_key not in cache:
            cache[spec.norm_key] = normalize(images, spec, channels_last=self.channels_last)
        return cache[spec.norm_key]

    def _predict(self, model: LoadedModel, x: torch.Tensor, rows: list[int]) -> list[Prediction]:
        with self.autocast:
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
) -> Iterator[BatchResult]:
    """Yield one ``BatchResult`` per batch of images still to do.

    ``items`` are (image_key, source) pairs; ``read_bytes(source)`` must be a picklable
    module-level function when ``num_workers > 0``. ``bf16`` defaults to True on CUDA;
    ``normalize_in_workers`` to True on the CPU (see ``preprocess``). The length of
    ``plan_work(items, [m.name for m in models], done)`` is the number of images the
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
    runner = _Runner(models, feeds, plan, top_k, use_bf16, channels_last)
    dataset = _dataset(plan, models, feeds, transforms, read_bytes)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=_Collate(channels_last),
        pin_memory=device.type == "cuda",
    )
    for batch in loader:
        yield runner.run(batch)


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
) -> _DecodeDataset:
    feed_of = {name: f for f, feed in enumerate(feeds) for name in feed.model_names}
    needed = [tuple(sorted({feed_of[models[m].name] for m in w.models})) for w in plan]
    return _DecodeDataset(needed, [w.source for w in plan], feeds, transforms, read_bytes)


def _check_top_k(models: Sequence[LoadedModel], top_k: int) -> None:
    for model in models:
        classes = getattr(model.module, "num_classes", None)
        if top_k < 1 or (classes is not None and top_k > classes):
            raise ValueError(f"top_k={top_k} is out of range for {model.name} ({classes}).")


def _model_device(module: torch.nn.Module) -> torch.device:
    for parameter in module.parameters():
        return parameter.device
    return torch.device("cpu")
