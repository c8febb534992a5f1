"""Signed, opaque image URLs: the only way an image reaches a page.

Two kinds of URL, both under `/img/<token>`:

- Task handles (`task_image_url`, `task_image_urls`): the only image URLs a HIT page holds. A
  handle seals (authenticated encryption) the image's public id, the variant, an expiry time
  and the task that shows it, so nothing in it can be read, altered or guessed, and the same
  picture gets unrelated handles in two tasks: grouping the pages of many grids by their image
  URLs tells nothing about which pictures recur (controls do). Whatever the storage, Django
  serves the bytes after opening the handle: a presigned S3 URL would name the object's key,
  the same in every task.
- Staff URLs (`image_url`, `thumbnail_url`, `image_urls`), for the admin, the review screens
  and the dashboard: the image's random public id, the variant and a timestamped signature;
  on S3, a presigned URL to an object whose key is as opaque.

Neither carries a file name, a class or a control flag.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import mimetypes
import struct
import time
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse

from catalogue.imports.clean import clean_bytes
from catalogue.models import Image

SALT = "finelabel.image-url"
THUMBNAIL = "t"
FULL = "f"  # the worker copy: the picture without its metadata (catalogue/imports/clean.py)
VARIANTS = (THUMBNAIL, FULL)
ORIGINAL = "o"  # the file as imported, metadata included: staff URLs only (the admin's link)
STAFF_VARIANTS = (*VARIANTS, ORIGINAL)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _uses_local_files() -> bool:
    return not settings.AWS_STORAGE_BUCKET_NAME


def _prefix() -> str:
    """The path of /img/<token> without the token. Tokens hold only URL-safe characters
    (base64url, '.' and ':'), so reversing once and appending is the same as reversing each."""
    return reverse("image-file", args=["-"])[:-1]


# --- staff URLs ------------------------------------------------------------------------


def sign_image(image: Image, variant: str) -> str:
    return _signer().sign(f"{image.public_id}.{variant}")


def served_key(image: Image, variant: str) -> str:
    """The stored file behind a variant: the thumbnail, the worker copy, or the original. An
    image from before worker copies (worker_key empty) names its original, which serve_image
    cleans as it serves it."""
    if variant == THUMBNAIL:
        return image.thumbnail_key
    if variant == ORIGINAL:
        return image.storage_key
    return image.worker_key or image.storage_key


def _cleaned_on_the_fly(image: Image, variant: str) -> bool:
    """Files from before worker copies, until `manage.py clean_images` has made them: their
    thumbnail may carry the original's JPEG comment, their original its metadata."""
    return variant != ORIGINAL and not image.worker_key


def image_url(image: Image, variant: str = FULL) -> str:
    if not _uses_local_files() and not _cleaned_on_the_fly(image, variant):
        # presigned, expires after AWS_QUERYSTRING_EXPIRE
        return default_storage.url(served_key(image, variant))
    return reverse("image-file", args=[sign_image(image, variant)])


def original_url(image: Image) -> str:
    """The file as imported, for the researcher (the admin): never put on a worker's page."""
    return image_url(image, ORIGINAL)


def thumbnail_url(image: Image) -> str:
    return image_url(image, THUMBNAIL)


def image_urls(images: Iterable[tuple[str, str]], variant: str = FULL) -> list[str]:
    """The URLs image_url gives, for many images at once: `images` are (public id, storage
    key of the variant) pairs. The signer and the URL prefix are built once for all."""
    if not _uses_local_files():
        return [default_storage.url(key) for _, key in images]
    signer, prefix = _signer(), _prefix()
    return [prefix + signer.sign(f"{public_id}.{variant}") for public_id, _ in images]


# --- task handles ----------------------------------------------------------------------
#
# Sealed with a synthetic-IV construction over HMAC-SHA256 (as AES-SIV, with HMAC as the
# pseudo-random function), from the standard library alone: the tag is the HMAC of the plain
# value under one key, and the value is XORed with a key stream made by HMAC under another
# key, of the tag and a counter. A token is base64url(tag + sealed value). The tag authenticates
# the value and makes the stream differ for every value; the value holds the task's digest, so
# the same image in two tasks has unrelated tokens. Both keys derive from SECRET_KEY (and its
# fallbacks, so rotating the key keeps handles already on pages working until they expire).

_HANDLE_SALT = "finelabel.task-image"
_TAG_BYTES = 16
_SCOPE_BYTES = 8
_HEAD = struct.Struct(">I1s8s")  # expiry (Unix seconds), variant, digest of the task
_MAX_TOKEN = 128


@lru_cache(maxsize=8)
def _keys(secret: str) -> tuple[hmac.HMAC, hmac.HMAC]:
    """Keyed HMAC objects (copied for each use) for the tag and for the key stream."""

    def keyed(purpose: str) -> hmac.HMAC:
        key = hashlib.sha256(f"{_HANDLE_SALT}.{purpose}:{secret}".encode()).digest()
        return hmac.new(key, digestmod=hashlib.sha256)

    return keyed("tag"), keyed("stream")


def _tag(keys: tuple[hmac.HMAC, hmac.HMAC], plain: bytes) -> bytes:
    mac = keys[0].copy()
    mac.update(plain)
    return mac.digest()[:_TAG_BYTES]


def _xor_stream(keys: tuple[hmac.HMAC, hmac.HMAC], tag: bytes, data: bytes) -> bytes:
    stream = b""
    counter = 0
    while len(stream) < len(data):
        block = keys[1].copy()
        block.update(tag + counter.to_bytes(4, "big"))
        stream += block.digest()
        counter += 1
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream[: len(data)], "big")
    return mixed.to_bytes(len(data), "big")


def _scope_digest(scope: str) -> bytes:
    return hashlib.sha256(scope.encode()).digest()[:_SCOPE_BYTES]


def _seal(plain: bytes, keys: tuple[hmac.HMAC, hmac.HMAC]) -> str:
    tag = _tag(keys, plain)
    raw = tag + _xor_stream(keys, tag, plain)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def task_image_urls(scope: str, public_ids: Iterable[str], variant: str) -> list[str]:
    """The URLs of these images (by public id) as the task named by `scope` (e.g.
    "contains:<grid public id>") shows them: handles that name no image and are specific to
    the task, valid FINELABEL_IMAGE_URL_MAX_AGE seconds."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown image variant {variant!r}")
    keys, prefix = _keys(settings.SECRET_KEY), _prefix()
    expires = int(time.time()) + settings.FINELABEL_IMAGE_URL_MAX_AGE
    head = _HEAD.pack(expires, variant.encode(), _scope_digest(scope))
    return [prefix + _seal(head + public_id.encode(), keys) for public_id in public_ids]


def task_image_url(scope: str, public_id: str, variant: str = FULL) -> str:
    return task_image_urls(scope, [public_id], variant)[0]


def _unseal(token: str) -> tuple[str, str] | None:
    """(public id, variant) of a valid, unexpired handle; None for anything else."""
    if len(token) > _MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _TAG_BYTES + _HEAD.size:
        return None
    tag, sealed = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
    for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())):
        keys = _keys(secret)
        plain = _xor_stream(keys, tag, sealed)
        if hmac.compare_digest(_tag(keys, plain), tag):
            break
    else:
        return None
    expires, variant, _ = _HEAD.unpack_from(plain)
    if expires < time.time() or variant.decode(errors="replace") not in VARIANTS:
        return None
    try:
        return plain[_HEAD.size :].decode(), variant.decode()
    except UnicodeDecodeError:
        return None


# --- serving ---------------------------------------------------------------------------


def unsign(token: str) -> tuple[str, str]:
    """(public id, variant) of a valid, unexpired token of either kind; Http404 for anything
    else, so a forged or guessed token looks exactly like a missing image."""
    if ":" not in token:  # a task handle (base64url has no ':')
        opened = _unseal(token)
        if opened is None:
            raise Http404("No such image.")
        return opened
    try:
        value = _signer().unsign(token, max_age=settings.FINELABEL_IMAGE_URL_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404("No such image.") from exc
    public_id, _, variant = value.rpartition(".")
    if variant not in STAFF_VARIANTS:
        raise Http404("No such image.")
    return public_id, variant


def serve_image(request: HttpRequest, token: str) -> HttpResponse:
    public_id, variant = unsign(token)
    image = (
        Image.objects.filter(public_id=public_id)
        .only("storage_key", "thumbnail_key", "worker_key")
        .first()
    )
    if image is None:
        raise Http404("No such image.")
    key = served_key(image, variant)
    if _cleaned_on_the_fly(image, variant):
        with default_storage.open(key, "rb") as stored:
            copy = clean_bytes(stored.read())
        content_type = mimetypes.guess_type(f"x.{copy.suffix}")[0] or "application/octet-stream"
        response = HttpResponse(copy.data, content_type=content_type)
    else:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        response = FileResponse(default_storage.open(key, "rb"), content_type=content_type)
    # FileResponse names the file (the storage key's last part) in Content-Disposition: the
    # same name in every task that shows the picture.
    if "Content-Disposition" in response:
        del response["Content-Disposition"]
    response["Cache-Control"] = f"private, max-age={settings.FINELABEL_IMAGE_URL_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
