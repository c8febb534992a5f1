"""The per-image work of an import, run in worker processes: read the bytes once, hash them,
decode fully (so a truncated file is caught here, not in a HIT), make the grid thumbnail and
the worker copy (the picture without its metadata: catalogue/imports/clean.py), name the files
by their content and, for local file storage, write them. The parent then only inserts slim
rows. No Django here: workers only need Pillow, and boto3 for S3 sources."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import urllib.request
from base64 import urlsafe_b64encode
from dataclasses import dataclass, replace
from urllib.parse import urlparse

from PIL import Image, UnidentifiedImageError

from catalogue.imports.clean import WorkerCopy, orientation, upright, worker_copy

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
class Naming:
    """How stored files are named: a keyed hash of the dataset and the content, so a key
    reveals nothing about the file name or class, and a re-run reuses its own keys."""

    secret: bytes
    namespace: str  # the dataset name: the same bytes in two datasets get two ids

    def public_id(self, sha256: str) -> str:
        message = f"{self.namespace}:{sha256}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def storage_keys(public_id: str, suffix: str) -> tuple[str, str]:
    """(original, thumbnail) storage keys of an image, spread over 64 folders each by the first
    character of the id: under 1,000 files a folder for the 50,000 ImageNet validation images,
    while a small import does not pay for creating thousands of folders (on a local disk a new
    folder costs about as much as a file write)."""
    folder = public_id[0]
    return f"images/{folder}/{public_id}.{suffix}", f"thumbs/{folder}/{public_id}.jpg"


def worker_key(public_id: str, suffix: str) -> str:
    """Storage key of an image's worker copy, when it differs from the original."""
    return f"clean/{public_id[0]}/{public_id}.{suffix}"


@dataclass(frozen=True)
class LocalStore:
    """A local storage folder that workers write into directly, as Django's FileSystemStorage
    would with overwriting allowed (same modes), minus its per-file name checks: keys are
    content-derived, so writing a key again writes the same bytes."""

    root: str
    file_mode: int | None = None
    directory_mode: int | None = None

    def write(self, key: str, data: bytes) -> None:
        path = os.path.join(self.root, key)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            fd = os.open(path, flags, 0o666)
        except FileNotFoundError:  # the folder first: checking it every time costs a syscall
            _make_dirs(os.path.dirname(path), self.directory_mode)
            fd = os.open(path, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.file_mode is not None:
                os.fchmod(fd, self.file_mode)
        finally:
            os.close(fd)


def _make_dirs(folder: str, mode: int | None) -> None:
    """os.makedirs, with `mode` on every level it creates (makedirs gives it to the last
    only), and safe when another worker creates the same folder at the same time."""
    if os.path.isdir(folder):
        return
    parent = os.path.dirname(folder)
    if parent != folder:
        _make_dirs(parent, mode)
    try:
        os.mkdir(folder)
    except FileExistsError:
        return
    if mode is not None:
        os.chmod(folder, mode)


@dataclass(frozen=True)
class Processed:
    locator: str
    sha256: str
    width: int  # as shown (after its EXIF orientation), as the worker copy is
    height: int
    file_size: int
    public_id: str
    storage_key: str
    thumbnail_key: str
    worker_key: str  # the storage key itself when the original carries no metadata
    # The bytes still to store; None once a worker has stored them (LocalStore), and for the
    # worker copy when it is the original.
    data: bytes | None = None
    thumbnail: bytes | None = None
    worker: bytes | None = None


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


# The grid thumbnail's downscaling filter. Downscaling is a large part of an import's per-image
# work, and antialiased bilinear does it markedly cheaper than Pillow's default bicubic
# (figures in bench/README.md, bench/import_images.py). The difference does not survive
# what comes after: the JPEG encoding's own error is five times larger, and the grid shows a
# 256 px thumbnail in a cell of about 140 px, which the browser rescales again
# (tests/catalogue/imports/test_processing.py holds it to a bicubic thumbnail's fidelity).
THUMBNAIL_FILTER = Image.Resampling.BILINEAR


def make_thumbnail(image: Image.Image, size: int, quality: int = 82, turn: int = 1) -> bytes:
    """The grid thumbnail, upright (EXIF orientation `turn`) and without metadata: no EXIF,
    and no comment (Pillow would copy the original's JPEG comment)."""
    thumb = image.convert("RGB") if image.mode != "RGB" else image
    thumb.thumbnail((size, size), THUMBNAIL_FILTER)
    thumb = upright(thumb, turn)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=quality, optimize=False, progressive=False, comment=b"")
    return out.getvalue()


@dataclass(frozen=True)
class Derived:
    """What an import stores beside an original: its format, the thumbnail, the worker copy."""

    fmt: str
    thumbnail: bytes
    copy: WorkerCopy


def derive(data: bytes, thumbnail_size: int) -> Derived:
    """Decode `data` (all of it, so a truncated or corrupt file fails here), make its thumbnail
    and its worker copy. Raises what Pillow raises for a file it cannot read."""
    with Image.open(io.BytesIO(data)) as image:
        fmt, size = image.format, image.size
        turn = orientation(image) if fmt == "JPEG" else 1
        # The thumbnail decodes the picture (a JPEG at a reduced scale where it is large:
        # thumbnail() asks for a draft) and all of its data. No load() before it: that would
        # decode the picture at full scale.
        thumbnail = make_thumbnail(image, thumbnail_size, turn=turn)
    # Its structure, not its pixels: the bytes as read, less what is not the picture.
    return Derived(fmt, thumbnail, worker_copy(data, fmt, size, turn))


def process(
    locator: str,
    naming: Naming,
    thumbnail_size: int = 256,
    s3_options: dict | None = None,
) -> Processed | Failed:
    """Everything one image needs before its files are stored and its row inserted; any
    failure becomes a Failed with a reason."""
    try:
        data = read_bytes(locator, s3_options)
    except OSError as exc:
        return Failed(locator, f"cannot read: {exc}")
    except Exception as exc:  # S3 and HTTP errors come in many types
        return Failed(locator, f"cannot read: {exc}")
    try:
        derived = derive(data, thumbnail_size)
    except UnidentifiedImageError:
        return Failed(locator, "not an image in a format Pillow can read")
    except (OSError, SyntaxError, ValueError) as exc:
        return Failed(locator, f"not a readable image: {exc}")
    fmt = derived.fmt
    if fmt not in FORMAT_SUFFIX:
        return Failed(locator, f"unsupported image format {fmt}")
    sha256 = hashlib.sha256(data).hexdigest()
    public_id = naming.public_id(sha256)
    key, thumb_key = storage_keys(public_id, FORMAT_SUFFIX[fmt])
    copy = derived.copy
    same = copy.data is data  # nothing to remove: workers are served the original's file
    return Processed(
        locator=locator,
        sha256=sha256,
        width=copy.width,
        height=copy.height,
        file_size=len(data),
        public_id=public_id,
        storage_key=key,
        thumbnail_key=thumb_key,
        worker_key=key if same else worker_key(public_id, copy.suffix),
        data=data,
        thumbnail=derived.thumbnail,
        worker=None if same else copy.data,
    )


def _store(store: LocalStore, result: Processed) -> None:
    store.write(result.storage_key, result.data)  # the original as read: never re-encoded
    store.write(result.thumbnail_key, result.thumbnail)
    if result.worker is not None:
        store.write(result.worker_key, result.worker)


def process_batch(
    locators: list[str],
    naming: Naming,
    thumbnail_size: int = 256,
    s3_options: dict | None = None,
    store: LocalStore | None = None,
) -> list[Processed | Failed]:
    """process() a few images. With a `store`, also write their files and return them without
    the bytes, so that the parent only receives slim rows. A storage failure (disk full,
    permissions) is not the image's fault: it stops the import."""
    results = []
    for locator in locators:
        result = process(locator, naming, thumbnail_size, s3_options)
        if store is not None and isinstance(result, Processed):
            _store(store, result)
            result = replace(result, data=None, thumbnail=None, worker=None)
        results.append(result)
    return results


# --- worker copies of images stored before them (manage.py clean_images) -------------------


@dataclass(frozen=True)
class StoredImage:
    """An image row as the backfill's workers need it; `locator` reads its original (a local
    path, or s3://bucket/key)."""

    pk: int
    public_id: str
    locator: str
    storage_key: str
    thumbnail_key: str


@dataclass(frozen=True)
class Recleaned:
    pk: int
    worker_key: str
    width: int
    height: int
    # The bytes still to store; None once a worker stored them, and for a copy that is the
    # original itself.
    thumbnail: bytes | None = None
    worker: bytes | None = None


def reclean(
    row: StoredImage,
    thumbnail_size: int = 256,
    s3_options: dict | None = None,
    store: LocalStore | None = None,
) -> Recleaned | Failed:
    """The worker copy and a new thumbnail (the old one may carry the original's comment) of
    an image already stored; written over the old thumbnail and beside the original when
    `store` is given. Keys stay: only the worker copy's is new."""
    try:
        data = read_bytes(row.locator, s3_options)
        derived = derive(data, thumbnail_size)
    except Exception as exc:  # missing file, storage error, unreadable picture
        return Failed(row.locator, f"{type(exc).__name__}: {exc}")
    copy = derived.copy
    same = copy.data is data
    key = row.storage_key if same else worker_key(row.public_id, copy.suffix)
    result = Recleaned(
        row.pk, key, copy.width, copy.height, derived.thumbnail, None if same else copy.data
    )
    if store is not None:
        store.write(row.thumbnail_key, derived.thumbnail)
        if result.worker is not None:
            store.write(key, result.worker)
        result = replace(result, thumbnail=None, worker=None)
    return result


def reclean_batch(rows: list[StoredImage], **options) -> list[Recleaned | Failed]:
    return [reclean(row, **options) for row in rows]
