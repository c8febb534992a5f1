"""Preprocessing follows timm's data config per model, and equal geometry is shared."""

from __future__ import annotations

import pytest
import timm
import torch
from PIL import Image
from timm.data import create_transform, resolve_model_data_config
from torchvision import transforms as T

from models_zoo.inference import LoadedModel
from models_zoo.loading import decode_image, read_local_file
from models_zoo.preprocess import PreprocessSpec, group_by_preprocessing, normalize, plan_feeds


def _steps(transform: T.Compose, kind: type) -> list:
    return [step for step in transform.transforms if isinstance(step, kind)]


@pytest.mark.parametrize("name", ["test_vit.r160_in1k", "resnet18.tv_in1k"])
def test_transform_follows_timm_data_config(name: str) -> None:
    model = timm.create_model(name, pretrained=False)
    config = resolve_model_data_config(model)
    spec = PreprocessSpec.from_model(model)
    assert spec.data_config() == {**config, "input_size": tuple(config["input_size"])}
    transform = spec.full_transform()
    (crop,) = _steps(transform, T.CenterCrop)
    (resize,) = _steps(transform, T.Resize)
    (norm,) = _steps(transform, T.Normalize)
    assert tuple(crop.size) == tuple(config["input_size"][1:])
    assert resize.size == int(config["input_size"][1] / config["crop_pct"])
    assert resize.interpolation.value == config["interpolation"]
    assert tuple(norm.mean.tolist()) == pytest.approx(config["mean"])
    assert tuple(norm.std.tolist()) == pytest.approx(config["std"])


def test_two_models_with_different_configs_differ() -> None:
    vit = PreprocessSpec.from_model(timm.create_model("test_vit.r160_in1k"))
    resnet = PreprocessSpec.from_model(timm.create_model("resnet18.tv_in1k"))
    assert vit.input_size == (3, 160, 160) and resnet.input_size == (3, 224, 224)
    assert (vit.interpolation, resnet.interpolation) == ("bicubic", "bilinear")
    assert vit.mean != resnet.mean
    groups = group_by_preprocessing({"vit": vit, "resnet": resnet})
    assert [g.model_names for g in groups] == [("vit",), ("resnet",)]


def test_equal_configs_share_a_group(tiny_models: list[LoadedModel]) -> None:
    specs = {m.name: m.spec for m in tiny_models}
    vit, effnet, convnext = specs.values()
    assert vit == convnext  # identical timm configs
    assert vit.geometry_key == effnet.geometry_key and vit.norm_key != effnet.norm_key
    groups = group_by_preprocessing(specs)
    assert len(groups) == 1
    assert groups[0].model_names == tuple(specs)


def test_different_geometry_makes_another_group() -> None:
    names = ["test_vit.r160_in1k", "test_resnet.r160_in1k", "test_convnext.r160_in1k"]
    specs = {n: PreprocessSpec.from_model(timm.create_model(n)) for n in names}
    groups = group_by_preprocessing(specs)
    assert [g.model_names for g in groups] == [
        ("test_vit.r160_in1k", "test_convnext.r160_in1k"),
        ("test_resnet.r160_in1k",),
    ]


def test_border_crop_pads_with_mean_so_mean_is_geometry() -> None:
    base = dict(input_size=(3, 32, 32), interpolation="bilinear", std=(1, 1, 1), crop_pct=1.0)
    a = PreprocessSpec.from_config({**base, "mean": (0, 0, 0), "crop_mode": "border"})
    b = PreprocessSpec.from_config({**base, "mean": (1, 1, 1), "crop_mode": "border"})
    assert a.geometry_key != b.geometry_key
    assert len(group_by_preprocessing({"a": a, "b": b})) == 2


def test_shared_uint8_then_device_normalisation_equals_timm_transform(
    image_items: list[tuple[str, str]],
) -> None:
    for name in ["test_vit.r160_in1k", "test_efficientnet.r160_in1k", "resnet18.tv_in1k"]:
        model = timm.create_model(name, pretrained=False)
        spec = PreprocessSpec.from_model(model)
        reference = create_transform(**resolve_model_data_config(model))
        for _, path in image_items[:5]:
            image = decode_image(read_local_file(path))
            shared = spec.geometry_transform()(image)
            assert shared.dtype == torch.uint8
            ours = normalize(shared.unsqueeze(0), spec)[0]
            torch.testing.assert_close(ours, reference(image), rtol=0, atol=1e-6)


def test_decode_converts_to_rgb(image_items: list[tuple[str, str]]) -> None:
    modes = {Image.open(path).mode for _, path in image_items}
    assert {"RGB", "RGBA", "L"} <= modes
    for _, path in image_items:
        assert decode_image(read_local_file(path)).mode == "RGB"


def test_feeds_share_tensors_between_identical_configs(tiny_models: list[LoadedModel]) -> None:
    specs = {m.name: m.spec for m in tiny_models}
    groups = group_by_preprocessing(specs)
    on_device = plan_feeds(groups, specs, normalize_in_workers=False)
    assert [(f.group, f.norm, f.model_names) for f in on_device] == [(0, None, tuple(specs))]
    in_workers = plan_feeds(groups, specs, normalize_in_workers=True)
    assert [f.model_names for f in in_workers] == [
        ("test_vit.r160_in1k", "test_convnext.r160_in1k"),
        ("test_efficientnet.r160_in1k",),
    ]
    assert [f.norm for f in in_workers] == [
        specs["test_vit.r160_in1k"],
        specs["test_efficientnet.r160_in1k"],
    ]
