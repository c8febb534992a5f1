"""Each model's preprocessing, taken from timm's data config for its weights, and grouping.

A model only gives its published accuracy with the input it was trained for: input size,
resize interpolation, crop fraction and normalisation differ between weights (inception_v3
wants 299 px and mean 0.5, efficientnet_b7 600 px, most others 224 px). So nothing here is
hand-written: ``PreprocessSpec`` is ``timm.data.resolve_model_data_config`` of the model, and
the transforms are ``timm.data.create_transform`` of that config.

Decoding and resizing an image costs more CPU than running a small model on it, so the
ensemble does it once per image and shares it. The transform splits at the same place as
timm's own GPU "prefetcher" loader:

* geometry (resize, crop) runs in the DataLoader workers and yields a uint8 tensor; models
  whose geometry is equal form one ``PreprocessGroup`` and share that tensor;
* normalisation (``x / 255``, minus mean, divided by std) runs where it is cheapest, once
  per distinct (mean, std) within a group: on an accelerator, on the device (the workers
  send uint8, four times fewer bytes to copy); on the CPU, in the workers, in parallel with
  the models. Either way it computes exactly what timm's ``ToTensor`` + ``Normalize`` do.
  A ``Feed`` is one tensor the workers produce per image.

Models with fully identical configs therefore share both the uint8 tensor and the normalised
one. ``crop_mode="border"`` pads with the mean colour, so there the mean is part of the
geometry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from timm.data import create_transform, resolve_model_data_config

Transform = Callable[[Image.Image], torch.Tensor]


@dataclass(frozen=True)
class PreprocessSpec:
    """One model's evaluation preprocessing, as timm's data config gives it."""

    input_size: tuple[int, int, int]
    interpolation: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    crop_pct: float
    crop_mode: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PreprocessSpec:
        return cls(
            input_size=tuple(int(v) for v in config["input_size"]),
            interpolation=str(config["interpolation"]),
            mean=tuple(float(v) for v in config["mean"]),
            std=tuple(float(v) for v in config["std"]),
            crop_pct=float(config["crop_pct"]),
            crop_mode=str(config.get("crop_mode") or "center"),
        )

    @classmethod
    def from_model(cls, model: torch.nn.Module) -> PreprocessSpec:
        """The spec timm resolves for ``model``'s pretrained config."""
        return cls.from_config(resolve_model_data_config(model))

    def data_config(self) -> dict[str, Any]:
        """The config in the form ``timm.data.create_transform`` takes."""
        return {
            "input_size": self.input_size,
            "interpolation": self.interpolation,
            "mean": self.mean,
            "std": self.std,
            "crop_pct": self.crop_pct,
            "crop_mode": self.crop_mode,
        }

    @property
    def geometry_key(self) -> tuple[Any, ...]:
        """Everything that decides the pixels before normalisation."""
        key: tuple[Any, ...] = (self.input_size, self.interpolation, self.crop_pct, self.crop_mode)
        if self.crop_mode == "border":
            key += (self.mean,)
        return key

    @property
    def norm_key(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return (self.mean, self.std)

    def full_transform(self) -> Transform:
        """timm's eval transform: PIL image to the normalised float tensor the model takes."""
        return create_transform(**self.data_config(), is_training=False)

    def geometry_transform(self) -> Transform:
        """timm's eval transform without normalisation: PIL image to a uint8 CHW tensor."""
        return create_transform(**self.data_config(), is_training=False, use_prefetcher=True)


@dataclass(frozen=True)
class PreprocessGroup:
    """Models whose images share one resized, cropped uint8 tensor."""

    spec: PreprocessSpec
    model_names: tuple[str, ...]

    def transform(self) -> Transform:
        return self.spec.geometry_transform()


@dataclass(frozen=True)
class Feed:
    """One tensor the loader workers produce per image, and the models that consume it.

    ``norm`` is None for a uint8 feed (the device normalises), or the spec whose mean and
    std the workers apply (float feed, shared by models with identical preprocessing).
    """

    group: int
    norm: PreprocessSpec | None
    model_names: tuple[str, ...]


def plan_feeds(
    groups: Sequence[PreprocessGroup],
    specs: Mapping[str, PreprocessSpec],
    *,
    normalize_in_workers: bool,
) -> list[Feed]:
    """The tensors to produce per image: one per group, or one per (group, mean/std)."""
    if not normalize_in_workers:
        return [Feed(g, None, group.model_names) for g, group in enumerate(groups)]
    feeds = []
    for g, group in enumerate(groups):
        by_norm: dict[Any, list[str]] = {}
        for name in group.model_names:
            by_norm.setdefault(specs[name].norm_key, []).append(name)
        for names in by_norm.values():
            feeds.append(Feed(g, specs[names[0]], tuple(names)))
    return feeds


def group_by_preprocessing(specs: Mapping[str, PreprocessSpec]) -> list[PreprocessGroup]:
    """Group model names by geometry, in first-seen order (deterministic)."""
    members: dict[tuple[Any, ...], list[str]] = {}
    first: dict[tuple[Any, ...], PreprocessSpec] = {}
    for name, spec in specs.items():
        key = spec.geometry_key
        first.setdefault(key, spec)
        members.setdefault(key, []).append(name)
    return [PreprocessGroup(first[key], tuple(names)) for key, names in members.items()]


def normalize(
    batch: torch.Tensor, spec: PreprocessSpec, *, channels_last: bool = True
) -> torch.Tensor:
    """uint8 NCHW batch to the float batch timm's ToTensor + Normalize would give."""
    mean = torch.tensor(spec.mean, device=batch.device).view(1, -1, 1, 1)
    std = torch.tensor(spec.std, device=batch.device).view(1, -1, 1, 1)
    out = batch.float().div_(255).sub_(mean).div_(std)
    if channels_last:
        out = out.contiguous(memory_format=torch.channels_last)
    return out
