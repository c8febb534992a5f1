"""Signed, opaque image URLs: the only way an image reaches a page.

A URL carries the image's random public id, which variant (thumbnail or full) and a signature
with a timestamp; no file name, class or control flag. Locally Django serves the file after
checking the signature; on S3 the URL is a presigned URL to an object whose key is as opaque.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from catalogue.models import Image

SALT = "finelabel.image-url"
THUMBNAIL = "t"
FULL = "f"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _uses_local_files() -> bool:
    return not settings.AWS_STORAGE_BUCKET_NAME


def sign_image(image: Image, variant: str) -> str:
    return _signer().sign(f"{image.public_id}.{variant}")


def image_url(image: Image, variant: str = FULL) -> str:
    key = image.thumbnail_key if variant == THUMBNAIL else image.storage_key
    if not _uses_local_files():
        return default_storage.url(key)  # presigned, expires after AWS_QUERYSTRING_EXPIRE
    return reverse("image-file", args=[sign_image(image, variant)])


def thumbnail_url(image: Image) -> str:
    return image_url(image, THUMBNAIL)


def image_urls(images: Iterable[tuple[str, str]], variant: str = FULL) -> list[str]:
    """The URLs image_url gives, for many images at once: `images` are (public id, storage
    key of the variant) pairs. The signer and the URL prefix are built once for all: a grid page
    signs 96 URLs, and building both again for each URL would be most of the cost."""
    if not _uses_local_files():
        return [default_storage.url(key) for _, key in images]
    signer = _signer()
    # The token is the last path segment and holds only URL-safe characters (base64url, '.'
    # and ':'), so reversing once and appending is the same as reversing each.
    prefix = reverse("image-file", args=["-"])[:-1]
    return [prefix + signer.sign(f"{public_id}.{variant}") for public_id, _ in images]


def unsign(token: str) -> tuple[str, str]:
    """(public id, variant) of a valid, unexpired token; Http404 for anything else, so a
    forged or guessed token looks exactly like a missing image."""
    try:
        value = _signer().unsign(token, max_age=settings.FINELABEL_IMAGE_URL_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404("No such image.") from exc
    public_id, _, variant = value.rpartition(".")
    if variant not in (THUMBNAIL, FULL):
        raise Http404("No such image.")
    return public_id, variant


def serve_image(request: HttpRequest, token: str) -> FileResponse:
    public_id, variant = unsign(token)
    image = Image.objects.filter(public_id=public_id).only("storage_key", "thumbnail_key").first()
    if image is None:
        raise Http404("No such image.")
    key = image.thumbnail_key if variant == THUMBNAIL else image.storage_key
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(key, "rb"), content_type=content_type)
    response["Cache-Control"] = f"private, max-age={settings.FINELABEL_IMAGE_URL_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
