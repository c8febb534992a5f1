"""Stage 1 model ensemble: registry, weights, preprocessing and batched inference.

No Django in here: the Django side loads models with ``load_models``, feeds (image_key,
source) pairs and a ``read_bytes`` function to ``iter_predictions``, and stores each batch.
Names are exported lazily so that importing the registry (plain Python) does not import torch
and timm.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DEFAULT_ENSEMBLE": "registry",
    "UnknownEnsembleError": "registry",
    "UnknownModelError": "registry",
    "ensemble_models": "registry",
    "known_ensembles": "registry",
    "register_ensemble": "registry",
    "register_ensembles": "registry",
    "resolve_models": "registry",
    "unregister_ensemble": "registry",
    "WEIGHTS_DIR_ENV": "weights",
    "MissingWeightsError": "weights",
    "WeightsSource": "weights",
    "create_model": "weights",
    "expected_weights_file": "weights",
    "find_weights_file": "weights",
    "hub_repo_id": "weights",
    "resolve_weights": "weights",
    "PreprocessGroup": "preprocess",
    "PreprocessSpec": "preprocess",
    "Feed": "preprocess",
    "group_by_preprocessing": "preprocess",
    "plan_feeds": "preprocess",
    "DEFAULT_TOP_K": "inference",
    "BatchResult": "inference",
    "ImageFailure": "inference",
    "LoadedModel": "inference",
    "Prediction": "inference",
    "WorkItem": "loading",
    "decode_image": "loading",
    "iter_predictions": "inference",
    "load_models": "inference",
    "plan_work": "loading",
    "read_local_file": "loading",
    "run_predictions": "inference",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
