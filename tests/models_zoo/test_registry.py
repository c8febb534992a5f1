from collections.abc import Iterator

import pytest
from timm.models import get_pretrained_cfg

from models_zoo import registry
from models_zoo.registry import (
    DEFAULT_ENSEMBLE,
    UnknownEnsembleError,
    UnknownModelError,
    ensemble_models,
    known_ensembles,
    register_ensemble,
    register_ensembles,
    resolve_models,
    unregister_ensemble,
)


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        unregister_ensemble(name)


def test_builtin_ensembles() -> None:
    assert DEFAULT_ENSEMBLE == "paper10"
    assert {"paper10", "small", "modern", "tiny"} <= set(known_ensembles())
    assert len(ensemble_models()) == 10
    assert len(set(ensemble_models())) == 10
    assert len(ensemble_models("tiny")) == 3


@pytest.mark.parametrize("name", ["paper10", "small", "modern", "tiny"])
def test_every_model_has_timm_imagenet_weights(name: str) -> None:
    for model_name in ensemble_models(name):
        registry.check_model_name(model_name)
        assert get_pretrained_cfg(model_name).num_classes == 1000, model_name


def test_paper10_uses_torchvision_weights_where_timm_has_them() -> None:
    models = ensemble_models("paper10")
    for arch in ["resnet101", "densenet161", "resnet50", "inception_v3", "vgg16"]:
        assert f"{arch}.tv_in1k" in models
    assert "wide_resnet50_2.tv_in1k" in models


def test_unknown_ensemble_lists_known_ones() -> None:
    with pytest.raises(UnknownEnsembleError) as info:
        ensemble_models("paper11")
    message = str(info.value)
    assert "'paper11'" in message
    for name in ["paper10", "small", "modern", "tiny"]:
        assert name in message


def test_register_at_run_time(cleanup: list[str]) -> None:
    register_ensembles({"mine": ["resnet18.tv_in1k", "test_vit"]})
    cleanup.append("mine")
    assert ensemble_models("mine") == ("resnet18.tv_in1k", "test_vit")
    assert "mine" in known_ensembles()
    with pytest.raises(ValueError, match="already registered"):
        register_ensemble("mine", ["resnet18.tv_in1k"])
    register_ensemble("mine", ["test_resnet"], replace=True)
    assert ensemble_models("mine") == ("test_resnet",)


@pytest.mark.parametrize(
    "models, error",
    [
        (["no_such_net"], UnknownModelError),
        (["resnet18.no_such_tag"], UnknownModelError),
        ([], ValueError),
        (["test_vit", "test_vit"], ValueError),
        ("test_vit", TypeError),
    ],
)
def test_register_rejects_bad_lists(models: list[str], error: type[Exception]) -> None:
    with pytest.raises(error):
        register_ensemble("bad", models)
    assert "bad" not in known_ensembles()


def test_builtins_cannot_be_removed() -> None:
    with pytest.raises(ValueError):
        unregister_ensemble("paper10")


def test_resolve_models_takes_names_or_lists() -> None:
    assert resolve_models("small") == ensemble_models("small")
    assert resolve_models(["test_vit.r160_in1k"]) == ("test_vit.r160_in1k",)
    with pytest.raises(UnknownModelError):
        resolve_models(["nope"])
