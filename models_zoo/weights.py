"""Where each model's weights come from, and building the model with them.

Stage 1 must run on machines with no internet (a GPU box behind a firewall, CI), and its
output must never silently come from untrained models. So resolution is explicit:

1. ``random_weights=True``: timm's random initialisation, seeded from the model name so the
   same model gives the same predictions in every process. Only on request; results carry
   ``random_weights=True`` and the tag ``"random"``.
2. A weights folder (``weights_dir=`` or the environment variable ``FINELABEL_WEIGHTS_DIR``):
   one file per model, named after the full timm name with its pretrained tag,
   ``<weights_dir>/<model_name>.safetensors`` (preferred), or ``<model_name>.pth`` /
   ``<model_name>.bin`` (a torch-saved state dict), e.g. ``resnet50.tv_in1k.safetensors``.
   The file holds a timm-format state dict: the ``model.safetensors`` of the Hugging Face
   repo ``timm/<model_name>`` qualifies as is (copy and rename it), and so does
   ``model.state_dict()`` of a timm model. A folder that is set but lacks the file is an
   error; there is no fall-back to the network.
3. Otherwise timm's own pretrained weights from the Hugging Face hub cache when it holds
   them (no network call), else downloaded from the hub. With ``HF_HUB_OFFLINE=1`` the cache
   must already hold them (``hf download timm/<model_name>`` on a machine with network, then
   copy the cache). A hub that cannot be reached is said at once, before the hub client's
   minute of retries.

Anything missing raises ``MissingWeightsError`` naming the model, the exact file expected
and the folder or cache searched.
"""

from __future__ import annotations

import os
import socket
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import timm
import torch
from huggingface_hub import constants as hf_constants
from huggingface_hub import try_to_load_from_cache
from timm.models import get_pretrained_cfg, load_checkpoint

from core.errors import FinelabelError

WEIGHTS_DIR_ENV = "FINELABEL_WEIGHTS_DIR"
WEIGHT_SUFFIXES: tuple[str, ...] = (".safetensors", ".pth", ".bin")
HUB_FILES: tuple[str, ...] = ("model.safetensors", "pytorch_model.bin")
RANDOM_TAG = "random"
HUB_CONNECT_TIMEOUT = 3.0  # seconds to open a connection to the hub before calling it unreachable
RANDOM_HINT = "or use untrained random weights (--random-weights; for tests and demos only)"


class MissingWeightsError(FinelabelError, FileNotFoundError):
    """The weights of a model cannot be found where the configuration says they are."""


@dataclass(frozen=True)
class WeightsSource:
    """Where a model's weights come from: ``kind`` is "file", "hub" or "random"."""

    model_name: str
    kind: str
    location: str = ""

    @property
    def random_weights(self) -> bool:
        return self.kind == "random"

    @property
    def tag(self) -> str:
        """Short provenance string stored beside each prediction."""
        if self.kind == "random":
            return RANDOM_TAG
        return f"{self.kind}:{self.location}"


def weights_dir_from_env() -> Path | None:
    """The folder named by ``FINELABEL_WEIGHTS_DIR``, or None when it is unset or empty."""
    value = os.environ.get(WEIGHTS_DIR_ENV, "").strip()
    return Path(value) if value else None


def expected_weights_file(model_name: str, weights_dir: str | os.PathLike[str]) -> Path:
    """The preferred file for ``model_name`` in a weights folder."""
    return Path(weights_dir) / f"{model_name}{WEIGHT_SUFFIXES[0]}"


def find_weights_file(model_name: str, weights_dir: str | os.PathLike[str]) -> Path:
    """The weights file of ``model_name`` in ``weights_dir``; raises if there is none."""
    folder = Path(weights_dir)
    for suffix in WEIGHT_SUFFIXES:
        candidate = folder / f"{model_name}{suffix}"
        if candidate.is_file():
            return candidate
    others = " or ".join(f"{model_name}{s}" for s in WEIGHT_SUFFIXES[1:])
    where = "folder" if folder.is_dir() else "folder (which does not exist)"
    raise MissingWeightsError(
        f"No weights for model {model_name!r}: expected file "
        f"{expected_weights_file(model_name, folder)} (or {others}) in the weights "
        f"{where} {folder}. Copy model.safetensors of the Hugging Face repo "
        f"timm/{model_name} there under that name, {RANDOM_HINT}."
    )


def resolve_weights(
    model_name: str,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    random_weights: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> WeightsSource:
    """Decide where ``model_name``'s weights come from, without loading them."""
    if random_weights:
        return WeightsSource(model_name, "random")
    folder = Path(weights_dir) if weights_dir is not None else weights_dir_from_env()
    if folder is not None:
        return WeightsSource(model_name, "file", str(find_weights_file(model_name, folder)))
    repo_id = hub_repo_id(model_name)
    if cached_hub_file(repo_id, cache_dir) is None:
        if hf_constants.is_offline_mode():
            _raise_not_cached(model_name, repo_id, cache_dir)
        _check_hub_reachable(model_name, repo_id, cache_dir)
    return WeightsSource(model_name, "hub", repo_id)


def hub_repo_id(model_name: str) -> str:
    """The Hugging Face repo timm downloads ``model_name``'s weights from."""
    cfg = get_pretrained_cfg(model_name)
    repo_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    if not repo_id:
        raise MissingWeightsError(
            f"timm has no Hugging Face weights for model {model_name!r}; set "
            f"{WEIGHTS_DIR_ENV} to a folder holding {model_name}.safetensors."
        )
    return repo_id


def create_model(
    model_name: str,
    *,
    weights_dir: str | os.PathLike[str] | None = None,
    random_weights: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[torch.nn.Module, WeightsSource]:
    """Build ``model_name`` with its resolved weights, in eval mode, on the CPU."""
    source = resolve_weights(
        model_name, weights_dir=weights_dir, random_weights=random_weights, cache_dir=cache_dir
    )
    if source.kind == "random":
        model = _create_random(model_name)
    elif source.kind == "file":
        model = timm.create_model(model_name, pretrained=False)
        load_checkpoint(model, source.location, strict=True)
    else:
        model = _create_from_hub(model_name, source, cache_dir)
    return model.eval(), source


def _create_random(model_name: str) -> torch.nn.Module:
    """timm's initialisation under a seed derived from the name (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(zlib.crc32(model_name.encode()))
        return timm.create_model(model_name, pretrained=False)


def _create_from_hub(
    model_name: str, source: WeightsSource, cache_dir: str | os.PathLike[str] | None
) -> torch.nn.Module:
    cached = cached_hub_file(source.location, cache_dir)
    try:
        if cached is not None:  # timm's pretrained loading, from the cached file: no network
            return timm.create_model(
                model_name, pretrained=True, pretrained_cfg_overlay={"file": cached}
            )
        return timm.create_model(model_name, pretrained=True, cache_dir=cache_dir)
    except (OSError, RuntimeError, ValueError) as exc:
        raise MissingWeightsError(
            f"Could not get weights for model {model_name!r} from the Hugging Face hub "
            f"repo {source.location} (cache {_cache_root(cache_dir)}): {exc}. Without "
            f"network, set {WEIGHTS_DIR_ENV} to a folder holding {model_name}.safetensors, "
            f"pre-fill the hub cache and set HF_HUB_OFFLINE=1, {RANDOM_HINT}."
        ) from exc


def cached_hub_file(repo_id: str, cache_dir: str | os.PathLike[str] | None) -> str | None:
    """The path of the repo's weights file in the hub cache, or None when it is not there."""
    repo, _, revision = repo_id.partition("@")
    for filename in HUB_FILES:
        found = try_to_load_from_cache(
            repo, filename, cache_dir=cache_dir, revision=revision or None
        )
        if isinstance(found, str):
            return found
    return None


def hub_unreachable(timeout: float = HUB_CONNECT_TIMEOUT) -> str | None:
    """Why the hub's host cannot be connected to now, or None when it can (or when a proxy
    stands in between: then the hub client's own timeouts apply)."""
    url = urllib.parse.urlsplit(hf_constants.ENDPOINT)
    host = url.hostname or ""
    if urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        return None
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc) or type(exc).__name__


def _check_hub_reachable(
    model_name: str, repo_id: str, cache_dir: str | os.PathLike[str] | None
) -> None:
    reason = hub_unreachable()
    if reason is not None:
        raise MissingWeightsError(
            f"No weights for model {model_name!r}: the hub cache {_cache_root(cache_dir)} "
            f"does not hold repo {repo_id} and the Hugging Face hub {hf_constants.ENDPOINT} "
            f"cannot be reached ({reason}). Set {WEIGHTS_DIR_ENV} to a folder holding "
            f"{model_name}.safetensors, fill the hub cache on a machine with network, "
            f"{RANDOM_HINT}."
        )


def _raise_not_cached(
    model_name: str, repo_id: str, cache_dir: str | os.PathLike[str] | None
) -> None:
    repo = repo_id.partition("@")[0]
    raise MissingWeightsError(
        f"No weights for model {model_name!r}: HF_HUB_OFFLINE is set and the hub cache "
        f"{_cache_root(cache_dir)} has no {HUB_FILES[0]} (nor {HUB_FILES[1]}) for repo "
        f"{repo} (folder models--{repo.replace('/', '--')}). Fill the cache on a machine "
        f"with network, set {WEIGHTS_DIR_ENV} to a folder holding "
        f"{model_name}.safetensors, {RANDOM_HINT}."
    )


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> str:
    return str(cache_dir) if cache_dir is not None else str(hf_constants.HF_HUB_CACHE)
