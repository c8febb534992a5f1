"""The per-image work of an import, run in worker processes: read the bytes once, hash them,
decode fully (so a truncated file is caught here, not in a HIT), and make the grid thumbnail.
No Django here: workers only need Pillow, and boto3 for S3 sources."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

from PIL import Image, UnidentifiedImageError

FORMAT_SUFFIX = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "BMP": "bmp",
    "WEBP": "webp",
    "TIFF": "tif",
}
_s3_clients: dict = {}


@dataclass(frozen=True)
class Processed:
    locator: str
    sha256: str
    width: int
    height: int
    suffix: str
    data: bytes
    thumbnail: bytes


@dataclass(frozen=True)
class Failed:
    locator: str
    reason: str


def read_bytes(locator: str, s3_options: dict | None = None) -> bytes:
    scheme = urlparse(locator).scheme
    if scheme in ("http", "https"):
        with urllib.request.urlopen(locator, timeout=30) as response:  # noqa: S310
            return response.read()
    if scheme == "s3":
        bucket, _, key = locator[5:].partition("/")
        return _s3_client(s3_options or {}).get_object(Bucket=bucket, Key=key)["Body"].read()
    with open(locator, "rb") as handle:
        return handle.read()


def _s3_client(options: dict):
    """One client per worker process: boto3 clients are not picklable and are costly to make."""
    key = tuple(sorted(options.items()))
    if key not in _s3_clients:
        import boto3

        _s3_clients[key] = boto3.client("s3", **options)
    return _s3_clients[key]


def make_thumbnail(image: Image.Image, size: int, quality: int = 82) -> bytes:
    thumb = image.convert("RGB") if image.mode != "RGB" else image
    thumb.thumbnail((size, size))
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


def process(
    locator: str, thumbnail_size: int = 256, s3_options: dict | None = None
) -> Processed | Failed:
    """Everything one image needs before storage; any failure becomes a Failed with a reason."""
    try:
        data = read_bytes(locator, s3_options)
    except OSError as exc:
        return Failed(locator, f"cannot read: {exc}")
    except Exception as exc:  # S3 and HTTP errors come in many types
        return Failed(locator, f"cannot read: {exc}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            width, height = image.size
            # JPEG can decode straight at a reduced scale (as Pillow's thumbnail() does); all
            # the data is still decoded, so truncated or corrupt files fail here.
            image.draft("RGB", (thumbnail_size, thumbnail_size))
            image.load()
            thumbnail = make_thumbnail(image, thumbnail_size)
    except UnidentifiedImageError:
        return Failed(locator, "not an image in a format Pillow can read")
    except (OSError, SyntaxError, ValueError) as exc:
        return Failed(locator, f"not a readable image: {exc}")
    if fmt not in FORMAT_SUFFIX:
        return Failed(locator, f"unsupported image format {fmt}")
    return Processed(
        locator,
        hashlib.sha256(data).hexdigest(),
        width,
        height,
        FORMAT_SUFFIX[fmt],
        data,
        thumbnail,
    )
