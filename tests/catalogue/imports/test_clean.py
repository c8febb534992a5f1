"""The worker copy (catalogue/imports/clean.py): the picture, pixel for pixel, without the
metadata that can name its class (EXIF, XMP, IPTC, comments, text chunks, trailing bytes)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from catalogue.imports.clean import clean_bytes, strip_jpeg
from catalogue.imports.processing import derive
from tests.catalogue.imports.metadata import (
    SECRET,
    gif_with_comment,
    icc_profile,
    jpeg_with_everything,
    picture,
    png_with_text,
    tiff_with_description,
    webp_with_metadata,
)

METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "Description"}


def pixels(data: bytes, frame: int = 0) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as image:
        image.seek(frame)
        return np.asarray(image.convert("RGBA"))


def assert_clean(data: bytes) -> PILImage.Image:
    assert SECRET not in data.lower()
    image = PILImage.open(io.BytesIO(data))
    image.load()
    assert not METADATA_KEYS & set(image.info), image.info.keys()
    assert not getattr(image, "text", {})
    assert not image.getexif()
    return image


def test_a_jpeg_keeps_its_picture_and_colour_profile_and_loses_all_its_metadata():
    original = jpeg_with_everything()
    assert original.count(SECRET) >= 5
    with PILImage.open(io.BytesIO(original)) as image:  # the metadata is there to lose
        assert {"exif", "xmp", "comment", "photoshop"} <= set(image.info)
    copy = clean_bytes(original)
    assert copy.suffix == "jpg" and (copy.width, copy.height) == (120, 80)
    clean = assert_clean(copy.data)
    assert clean.info["icc_profile"] == icc_profile()
    assert np.array_equal(pixels(copy.data), pixels(original))  # not re-encoded
    assert len(copy.data) < len(original)


def test_a_progressive_jpeg_is_cleaned_too():
    original = jpeg_with_everything(progressive=True)
    copy = clean_bytes(original)
    assert_clean(copy.data)
    assert np.array_equal(pixels(copy.data), pixels(original))


def test_a_jpeg_without_metadata_is_its_own_copy():
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=85)
    original = out.getvalue()
    assert strip_jpeg(original) is original
    assert clean_bytes(original).data is original


def test_a_turned_jpeg_becomes_an_upright_copy_without_exif():
    """EXIF orientation 6: shown turned a quarter clockwise. The copy has no EXIF to say so,
    so its pixels are turned instead (a browser shows both the same)."""
    original = jpeg_with_everything(orientation=6)
    copy = clean_bytes(original)
    assert (copy.width, copy.height) == (80, 120)
    clean = assert_clean(copy.data)
    assert clean.size == (80, 120)
    with PILImage.open(io.BytesIO(original)) as image:
        shown = np.asarray(image.transpose(PILImage.Transpose.ROTATE_270).convert("RGB"))
    error = np.abs(np.asarray(clean.convert("RGB"), dtype=float) - shown).mean()
    assert error < 2.0  # quality 95


@pytest.mark.parametrize(
    "make, suffix",
    [(png_with_text, "png"), (gif_with_comment, "gif"), (webp_with_metadata, "webp")],
    ids=["png", "gif", "webp"],
)
def test_other_formats_lose_their_metadata_and_keep_their_pixels(make, suffix):
    original = make()
    assert SECRET in original
    copy = clean_bytes(original)
    assert copy.suffix == suffix
    clean = assert_clean(copy.data)
    assert np.array_equal(pixels(copy.data), pixels(original))
    if suffix == "gif":  # an animation stays one, looping
        assert clean.n_frames == 2 and clean.info.get("loop") == 0
        assert np.array_equal(pixels(copy.data, 1), pixels(original, 1))


def test_a_tiff_becomes_a_png_browsers_can_show():
    original = tiff_with_description()
    assert SECRET in original
    copy = clean_bytes(original)
    assert copy.suffix == "png"
    clean = assert_clean(copy.data)
    assert clean.format == "PNG"
    assert np.array_equal(pixels(copy.data), pixels(original))


def test_the_import_makes_a_clean_thumbnail_and_copy():
    """Pillow copies a JPEG's comment into any JPEG made from it; the thumbnail has none."""
    derived = derive(jpeg_with_everything(), 64)
    assert_clean(derived.thumbnail)
    assert_clean(derived.copy.data)
