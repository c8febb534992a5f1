"""The real weight-loading code, offline: weights folder, hub cache, random weights."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import safetensors.torch
import timm
import torch
from huggingface_hub import constants as hf_constants

from models_zoo.weights import (
    WEIGHTS_DIR_ENV,
    MissingWeightsError,
    create_model,
    expected_weights_file,
    resolve_weights,
)
from tests.helpers import free_port

MODEL = "test_efficientnet.r160_in1k"


def _outputs(model: torch.nn.Module) -> torch.Tensor:
    with torch.inference_mode():
        return model(torch.linspace(-1, 1, 3 * 160 * 160).view(1, 3, 160, 160))


@pytest.fixture(scope="module")
def reference() -> torch.nn.Module:
    """A random-initialised model whose weights play the part of downloaded weights."""
    torch.manual_seed(1234)
    return timm.create_model(MODEL, pretrained=False).eval()


@pytest.fixture(autouse=True)
def no_weights_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WEIGHTS_DIR_ENV, raising=False)


def test_loads_safetensors_file_from_weights_dir(
    tmp_path: Path, reference: torch.nn.Module
) -> None:
    path = expected_weights_file(MODEL, tmp_path)
    assert path == tmp_path / f"{MODEL}.safetensors"
    safetensors.torch.save_file(reference.state_dict(), str(path))
    model, source = create_model(MODEL, weights_dir=tmp_path)
    assert (source.kind, source.location, source.random_weights) == ("file", str(path), False)
    assert source.tag == f"file:{path}"
    assert not model.training
    torch.testing.assert_close(_outputs(model), _outputs(reference), rtol=0, atol=0)


def test_loads_torch_file_named_by_environment(
    tmp_path: Path, reference: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.save(reference.state_dict(), tmp_path / f"{MODEL}.pth")
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(tmp_path))
    model, source = create_model(MODEL)
    assert source.location == str(tmp_path / f"{MODEL}.pth")
    torch.testing.assert_close(_outputs(model), _outputs(reference), rtol=0, atol=0)


def test_missing_file_names_model_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError) as info:
        create_model(MODEL, weights_dir=tmp_path)
    message = str(info.value)
    assert repr(MODEL) in message
    assert str(tmp_path / f"{MODEL}.safetensors") in message
    assert f"{MODEL}.pth" in message
    assert f"folder {tmp_path}" in message


def test_missing_folder_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError, match="does not exist"):
        resolve_weights(MODEL, weights_dir=tmp_path / "absent")


def test_wrong_file_fails_loudly(tmp_path: Path) -> None:
    other = timm.create_model("test_vit.r160_in1k", pretrained=False)
    safetensors.torch.save_file(other.state_dict(), str(expected_weights_file(MODEL, tmp_path)))
    with pytest.raises(RuntimeError):
        create_model(MODEL, weights_dir=tmp_path)


def test_random_weights_only_on_request_and_reproducible() -> None:
    state = torch.random.get_rng_state()
    first, source = create_model(MODEL, random_weights=True)
    second, _ = create_model(MODEL, random_weights=True)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert (source.kind, source.tag, source.random_weights) == ("random", "random", True)
    torch.testing.assert_close(_outputs(first), _outputs(second), rtol=0, atol=0)


def test_offline_hub_without_cache_names_repo_and_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(MissingWeightsError) as info:
        resolve_weights(MODEL, cache_dir=tmp_path)
    message = str(info.value)
    assert repr(MODEL) in message
    assert f"timm/{MODEL}" in message
    assert str(tmp_path) in message
    assert "model.safetensors" in message


def test_offline_hub_with_filled_cache(
    tmp_path: Path, reference: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    commit = "0" * 40
    repo = tmp_path / f"models--timm--{MODEL}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    safetensors.torch.save_file(reference.state_dict(), str(snapshot / "model.safetensors"))
    model, source = create_model(MODEL, cache_dir=tmp_path)
    assert (source.kind, source.tag) == ("hub", f"hub:timm/{MODEL}")
    torch.testing.assert_close(_outputs(model), _outputs(reference), rtol=0, atol=0)


def _fill_cache(cache: Path, reference: torch.nn.Module) -> None:
    commit = "1" * 40
    repo = cache / f"models--timm--{MODEL}"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    safetensors.torch.save_file(reference.state_dict(), str(snapshot / "model.safetensors"))


def test_filled_cache_loads_without_asking_an_unreachable_hub(
    tmp_path: Path, reference: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Online mode, but the hub does not answer: weights in the cache load at once."""
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hf_constants, "ENDPOINT", f"http://127.0.0.1:{free_port()}")
    _fill_cache(tmp_path, reference)
    started = time.monotonic()
    model, source = create_model(MODEL, cache_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert (source.kind, source.tag) == ("hub", f"hub:timm/{MODEL}")
    torch.testing.assert_close(_outputs(model), _outputs(reference), rtol=0, atol=0)


def test_unreachable_hub_without_cache_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(hf_constants, "ENDPOINT", endpoint)
    started = time.monotonic()
    with pytest.raises(MissingWeightsError) as info:
        create_model(MODEL, cache_dir=tmp_path)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert f"hub {endpoint} cannot be reached" in message and str(tmp_path) in message
    assert WEIGHTS_DIR_ENV in message and "--random-weights" in message
