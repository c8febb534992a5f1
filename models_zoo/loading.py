"""Reading and decoding stage 1's images once for every model of the ensemble.

A torch DataLoader's workers read each image once (``read_bytes``: the caller decides where
bytes come from), decode it with PIL, apply each preprocessing group's geometry transform,
and (on the CPU) normalise once per distinct mean/std (a ``Feed``); pairs already done are
never read again.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from torch.utils.data import Dataset, get_worker_info

from models_zoo.preprocess import Feed

ImageKey = Hashable
ReadBytes = Callable[[Any], bytes]


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


Sample = tuple[int, tuple[int, ...], dict[int, torch.Tensor], str | None]


class DecodeDataset(Dataset):
    """Reads and decodes each image once; returns one uint8 tensor per preprocessing group
    it needs, and which feeds it needs (normalisation is done per batch, in ``Collate``)."""

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

    def __getitem__(self, index: int) -> Sample:
        needed = self.needed_feeds[index]
        try:
            image = decode_image(self.read_bytes(self.sources[index]))
            groups = {self.feeds[f].group for f in needed}
            tensors = {g: self.transforms[g](image) for g in sorted(groups)}
        except Exception as exc:  # any bad image is reported, never fatal
            return index, needed, {}, f"{type(exc).__name__}: {exc}"
        return index, needed, tensors, None


@dataclass
class Batch:
    """Collated batch: per feed a stacked tensor and the plan rows it holds."""

    feeds: dict[int, tuple[torch.Tensor, list[int]]]
    errors: list[tuple[int, str]]
    size: int

    def pin_memory(self) -> Batch:
        pinned = {f: (t.pin_memory(), rows) for f, (t, rows) in self.feeds.items()}
        return Batch(pinned, self.errors, self.size)


class Collate:
    """Stacks each feed into one batch tensor (channels_last when asked) and normalises it.

    Normalising the whole batch in one pass costs a fraction of doing it image by image
    (small tensors pay per-operation overhead), and computes exactly the same: uint8 to
    float, ``/ 255``, ``- mean``, ``/ std``. Per-image tensors from ``pil_to_tensor`` are CHW
    views of HWC memory, so copying them into a channels_last batch is a plain copy. In a
    loader worker the batch is allocated in shared memory, as torch's default collate does,
    so sending it to the main process copies nothing.
    """

    def __init__(self, feeds: list[Feed], channels_last: bool) -> None:
        self.feeds = feeds
        self.layout = torch.channels_last if channels_last else torch.contiguous_format

    def __call__(self, samples: list[Sample]) -> Batch:
        members: dict[int, list[tuple[int, torch.Tensor]]] = {}
        errors = []
        for index, needed, by_group, error in samples:
            if error is not None:
                errors.append((index, error))
                continue
            for f in needed:
                members.setdefault(f, []).append((index, by_group[self.feeds[f].group]))
        stacked = {
            f: (self._feed_batch(self.feeds[f], [t for _, t in pairs]), [i for i, _ in pairs])
            for f, pairs in sorted(members.items())
        }
        return Batch(stacked, errors, len(samples))

    def _feed_batch(self, feed: Feed, tensors: list[torch.Tensor]) -> torch.Tensor:
        dtype = torch.uint8 if feed.norm is None else torch.float32
        batch = self._empty((len(tensors), *tensors[0].shape), dtype)
        for row, tensor in enumerate(tensors):
            batch[row].copy_(tensor)  # uint8 to float here when the feed is normalised
        if feed.norm is not None:
            mean, std = torch.tensor(feed.norm.mean), torch.tensor(feed.norm.std)
            if batch.is_contiguous(memory_format=torch.channels_last):
                # NHWC memory seen as NHWC: the channel is the innermost dimension, which
                # broadcasts faster than a per-channel plane over strided memory.
                pixels = batch.permute(0, 2, 3, 1)
            else:
                pixels, mean, std = batch, mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)
            pixels.div_(255).sub_(mean).div_(std)
        return batch

    def _empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        if get_worker_info() is None:
            return torch.empty(shape, dtype=dtype, memory_format=self.layout)
        strides = torch.empty(shape, dtype=dtype, memory_format=self.layout, device="meta")
        nbytes = math.prod(shape) * dtype.itemsize
        storage = torch.UntypedStorage._new_shared(nbytes)
        return torch.empty(0, dtype=dtype).set_(storage, 0, shape, strides.stride())
