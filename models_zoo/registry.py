"""Named model ensembles for stage 1 (potential labels).

A campaign stores the *name* of its ensemble ("paper10", "small", ...), not a list of models,
so that the name is a stable, human-readable parameter and every model name is spelled in
one place. Every entry is a full timm name ``<architecture>.<pretrained tag>``: the tag pins
the weights (and, through timm's pretrained config, the preprocessing), so two campaigns that
name the same ensemble run the same models.

``paper10`` reproduces the ten models of Tsipras et al. (2020). Where timm carries the
torchvision weights the paper used, the ``tv_in1k`` tag is chosen. Three models differ:

* alexnet is not in timm. Its substitute is ``mobilenetv3_small_050.lamb_in1k``: the paper
  spread its models over the accuracy range, and alexnet is its floor (56.5% top-1 for the
  torchvision weights). This model is timm's closest in1k model in accuracy (57.9% top-1 in
  timm's results table), so the ensemble keeps a weak, differently-wrong member. The nearest
  substitute by architecture, ``vgg11.tv_in1k`` (a plain conv stack), is 69.0% and would
  duplicate the googlenet slot below.
* googlenet (Inception v1) is not in timm. Its substitute is ``resnet18.tv_in1k``: 69.76%
  top-1 against googlenet's 69.78% in torchvision, and of the same torchvision era.
* efficientnet_b7: torchvision's weights are a port of the original TensorFlow checkpoint
  trained with AutoAugment; timm holds that checkpoint as ``tf_efficientnet_b7.aa_in1k``.
* mobilenet_v2: timm has only its own ``mobilenetv2_100.ra_in1k`` (73.0% vs torchvision's
  71.9%).

``small`` is a cheap ensemble for demos and CPU runs, ``modern`` a few recent architectures
with ImageNet-1k heads, and ``tiny`` three of timm's ``test_*`` architectures (a few hundred
thousand parameters, 1000 classes) for tests and the demo with random weights.

Extra ensembles can be registered at run time (``register_ensemble``), e.g. from settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import timm

from core.errors import FinelabelError

DEFAULT_ENSEMBLE = "paper10"

PAPER10: tuple[str, ...] = (
    "mobilenetv3_small_050.lamb_in1k",  # for alexnet (not in timm), see module docstring
    "resnet101.tv_in1k",
    "densenet161.tv_in1k",
    "resnet50.tv_in1k",
    "resnet18.tv_in1k",  # for googlenet (not in timm), see module docstring
    "tf_efficientnet_b7.aa_in1k",
    "inception_v3.tv_in1k",
    "vgg16.tv_in1k",
    "mobilenetv2_100.ra_in1k",
    "wide_resnet50_2.tv_in1k",
)

SMALL: tuple[str, ...] = (
    "resnet18.tv_in1k",
    "mobilenetv3_small_100.lamb_in1k",
    "efficientnet_b0.ra_in1k",
)

MODERN: tuple[str, ...] = (
    "vit_base_patch16_224.augreg2_in21k_ft_in1k",
    "convnext_base.fb_in22k_ft_in1k",
    "deit3_base_patch16_224.fb_in22k_ft_in1k",
    "eva02_base_patch14_448.mim_in22k_ft_in22k_in1k",
)

TINY: tuple[str, ...] = (
    "test_vit.r160_in1k",
    "test_efficientnet.r160_in1k",
    "test_convnext.r160_in1k",
)

_BUILTIN: dict[str, tuple[str, ...]] = {
    "paper10": PAPER10,
    "small": SMALL,
    "modern": MODERN,
    "tiny": TINY,
}

_ensembles: dict[str, tuple[str, ...]] = dict(_BUILTIN)


class UnknownEnsembleError(FinelabelError, LookupError):
    """An ensemble name that is not registered."""


class UnknownModelError(FinelabelError, ValueError):
    """A model name that timm does not know (architecture or pretrained tag)."""


def known_ensembles() -> list[str]:
    """Registered ensemble names, sorted."""
    return sorted(_ensembles)


def ensemble_models(name: str = DEFAULT_ENSEMBLE) -> tuple[str, ...]:
    """The timm model names of the ensemble called ``name``."""
    try:
        return _ensembles[name]
    except KeyError:
        known = ", ".join(known_ensembles())
        raise UnknownEnsembleError(
            f"Unknown model ensemble {name!r}. Known ensembles: {known}."
        ) from None


def resolve_models(ensemble: str | Sequence[str]) -> tuple[str, ...]:
    """Model names from an ensemble name or from an explicit list of timm names."""
    if isinstance(ensemble, str):
        return ensemble_models(ensemble)
    names = tuple(ensemble)
    for model_name in names:
        check_model_name(model_name)
    return names


def register_ensemble(name: str, models: Sequence[str], *, replace: bool = False) -> None:
    """Register ``name`` as an ensemble of timm models; names are checked against timm."""
    if not name or not isinstance(name, str):
        raise ValueError("An ensemble name must be a non-empty string.")
    if isinstance(models, str):
        raise TypeError("Give the models as a list of names, not one string.")
    if name in _ensembles and not replace:
        raise ValueError(f"Ensemble {name!r} is already registered; pass replace=True.")
    names = tuple(models)
    if not names:
        raise ValueError(f"Ensemble {name!r} has no models.")
    if len(set(names)) != len(names):
        raise ValueError(f"Ensemble {name!r} lists a model twice: {list(names)}.")
    for model_name in names:
        check_model_name(model_name)
    _ensembles[name] = names


def register_ensembles(mapping: Mapping[str, Sequence[str]], *, replace: bool = False) -> None:
    """Register several ensembles at once (e.g. a dict from settings)."""
    for name, models in mapping.items():
        register_ensemble(name, models, replace=replace)


def unregister_ensemble(name: str) -> None:
    """Remove a run-time ensemble; the built-in ones cannot be removed."""
    if name in _BUILTIN:
        raise ValueError(f"{name!r} is a built-in ensemble and cannot be removed.")
    _ensembles.pop(name, None)


def check_model_name(model_name: str) -> None:
    """Raise ``UnknownModelError`` unless timm knows the architecture and the weights tag."""
    architecture, _, tag = model_name.partition(".")
    if not timm.is_model(architecture):
        raise UnknownModelError(f"timm has no architecture {architecture!r} ({model_name!r}).")
    if tag and model_name not in _pretrained_names():
        raise UnknownModelError(
            f"timm has no pretrained tag {tag!r} for {architecture!r} ({model_name!r})."
        )


@lru_cache(maxsize=1)
def _pretrained_names() -> frozenset[str]:
    return frozenset(timm.list_pretrained())
