"""Shared fixtures: small generated images and the tiny ensemble with random weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models_zoo.inference import LoadedModel, load_models

IMAGE_SIZES = [(500, 375), (375, 500), (64, 48), (333, 333)]


def write_images(folder: Path, count: int, seed: int = 0) -> list[tuple[str, str]]:
    """JPEG, PNG (RGBA) and grayscale images of a few sizes; returns (key, path) items."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(count):
        width, height = IMAGE_SIZES[i % len(IMAGE_SIZES)]
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        if i % 5 == 3:
            path, image = folder / f"img{i}.png", image.convert("RGBA")
        elif i % 5 == 4:
            path, image = folder / f"img{i}.jpg", image.convert("L")
        else:
            path = folder / f"img{i}.jpg"
        image.save(path)
        items.append((f"img{i}", str(path)))
    return items


@pytest.fixture(scope="session")
def image_items(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    return write_images(tmp_path_factory.mktemp("images"), 10)


@pytest.fixture(scope="session")
def tiny_models() -> list[LoadedModel]:
    return load_models("tiny", random_weights=True)
