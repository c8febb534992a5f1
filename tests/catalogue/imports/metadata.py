"""Image files that name their class in their metadata, in every place a file can: what the
worker copy must not carry. The class name is SECRET."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image as PILImage
from PIL import PngImagePlugin

SECRET = b"tench"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:subject>tench</dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def picture(seed: int = 0, size: tuple[int, int] = (120, 80), mode: str = "RGB"):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    return PILImage.fromarray(small).resize(size, PILImage.BICUBIC).convert(mode)


def exif(description: str = "tench, a fish", orientation: int | None = None) -> bytes:
    tags = PILImage.Exif()
    tags[0x010E] = description  # ImageDescription
    tags[0x013B] = "tench fisher"  # Artist
    if orientation is not None:
        tags[0x0112] = orientation
    return tags.tobytes()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


IPTC = segment(
    0xED,  # APP13: Photoshop's image resources, IPTC keywords in resource 0x0404
    b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", 10) + b"\x1c\x02\x19\x00\x05tench",
)


def jpeg_with_everything(seed: int = 0, orientation: int | None = None, **save) -> bytes:
    """A JPEG with EXIF, XMP, IPTC, a comment, an ICC profile and bytes after its end, all
    naming the class (the ICC profile excepted)."""
    out = io.BytesIO()
    picture(seed).save(
        out,
        "JPEG",
        quality=90,
        exif=exif(orientation=orientation),
        xmp=XMP,
        comment=b"class: tench",
        icc_profile=icc_profile(),
        **save,
    )
    data = out.getvalue()
    # Photoshop's block after the APP0 header, and a trailer after the end of the image.
    app0_end = 4 + int.from_bytes(data[4:6], "big")
    return data[:app0_end] + IPTC + data[app0_end:] + b"tench trailer"


def icc_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "tench")
    info.add_text("Comment", "tench", zip=True)
    info.add_itxt("Title", "tench", lang="en")
    out = io.BytesIO()
    picture(1, mode="RGBA").save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue() + b"tench trailer"


def gif_with_comment() -> bytes:
    frames = [picture(s).convert("P") for s in (2, 3)]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=100,
        comment=b"tench",
    )  # fmt: skip
    data = out.getvalue()
    # An XMP application extension before the trailer (Pillow writes none).
    xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(XMP[:200])]) + XMP[:200] + b"\x00"
    return data[:-1] + xmp + b"\x3b"


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    picture(4).save(out, "WEBP", quality=80, exif=exif(), xmp=XMP)
    return out.getvalue()


def tiff_with_description() -> bytes:
    out = io.BytesIO()
    picture(5).save(out, "TIFF", tiffinfo={270: "tench", 315: "tench fisher"})
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
