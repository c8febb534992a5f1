"""Small builders shared by the tests."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
from PIL import Image


def free_port() -> int:
    """A TCP port free on localhost now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_jpeg(path: Path, size: tuple[int, int] = (500, 375), seed: int = 0) -> Path:
    """A JPEG of noise: every seed gives different bytes."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=85)
    return path


def make_folder(root: Path, per_class: dict[str, int], seed: int = 0) -> Path:
    """An ImageNet-style folder: root/<wnid>/<n>.JPEG."""
    for c, (wnid, count) in enumerate(per_class.items()):
        for i in range(count):
            write_jpeg(root / wnid / f"img_{i:04d}.JPEG", seed=seed * 100_000 + c * 1000 + i)
    return root
