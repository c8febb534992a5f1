"""What workers are served carries no metadata: an image whose EXIF, XMP, IPTC or comment
names its class is served (full size and thumbnail, locally and from S3) without them. The
import stores the clean copy beside the original, which stays as it was for the researcher;
images imported before that get theirs from `manage.py clean_images`."""

from __future__ import annotations

import io
import re
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from catalogue.image_urls import image_url, original_url, thumbnail_url
from catalogue.models import Image
from tests.catalogue.imports.metadata import SECRET, jpeg_with_everything
from tests.catalogue.imports.test_service import s3_server  # noqa: F401 (a fixture)
from tests.helpers import make_folder

pytestmark = pytest.mark.django_db
TENCH = "n01440764"


def served(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_clean(data: bytes) -> None:
    assert SECRET not in data.lower()
    with PILImage.open(io.BytesIO(data)) as image:
        image.load()
        assert not {"exif", "xmp", "comment", "photoshop"} & set(image.info)


@pytest.fixture
def folder(tmp_path):
    """Two plain JPEGs, and one whose metadata names its class."""
    root = make_folder(tmp_path / "in", {TENCH: 2})
    (root / TENCH / "tagged.JPEG").write_bytes(jpeg_with_everything(seed=7))
    return root


def tagged(dataset: str = "val") -> Image:
    return Image.objects.get(dataset__name=dataset, source__endswith="tagged.JPEG")


def test_workers_are_served_the_picture_without_its_metadata(catalogue, media_root, folder, client):
    call_command("import_images", str(folder), "--dataset", "val", verbosity=0)
    image = tagged()
    original = Path(image.source).read_bytes()
    full = served(client, image_url(image))
    assert_clean(full)
    assert_clean(served(client, thumbnail_url(image)))
    with PILImage.open(io.BytesIO(full)) as a, PILImage.open(io.BytesIO(original)) as b:
        assert a.tobytes() == b.tobytes()  # the same picture, not re-encoded
    # The original stays, byte for byte, for the researcher.
    assert served(client, original_url(image)) == original
    assert default_storage.open(image.storage_key).read() == original
    assert image.worker_key != image.storage_key


def test_a_clean_original_is_its_own_worker_copy(catalogue, media_root, folder, client):
    """No second file for an image that carries no metadata (most of a dataset)."""
    call_command("import_images", str(folder), "--dataset", "val", verbosity=0)
    plain = Image.objects.exclude(pk=tagged().pk)
    assert plain.count() == 2
    for image in plain:
        assert image.worker_key == image.storage_key
        assert served(client, image_url(image)) == Path(image.source).read_bytes()
    assert [p.name for p in (media_root / "clean").rglob("*") if p.is_file()] == [
        Path(tagged().worker_key).name
    ]


def test_s3_presigned_urls_serve_clean_bytes(catalogue, folder, settings, s3_server):  # noqa: F811
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="media")
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_STORAGE_BUCKET_NAME = "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    call_command("import_images", str(folder), "--dataset", "s3val", verbosity=0)
    image = tagged("s3val")
    for url in (image_url(image), thumbnail_url(image)):
        assert url.startswith(s3_server)  # presigned: S3 serves the bytes itself
        with urllib.request.urlopen(url) as response:  # noqa: S310 (the local S3 server)
            assert_clean(response.read())
    stored = s3.get_object(Bucket="media", Key=image.storage_key)["Body"].read()
    assert stored == Path(image.source).read_bytes()


def old_import(image: Image) -> None:
    """The image as an import before worker copies left it: no worker copy, and a thumbnail
    that carries the original's JPEG comment (Pillow copies it)."""
    with PILImage.open(io.BytesIO(default_storage.open(image.storage_key).read())) as picture:
        picture.thumbnail((256, 256))
        out = io.BytesIO()
        picture.convert("RGB").save(out, "JPEG", quality=82)
    assert SECRET in out.getvalue()
    default_storage.delete(image.worker_key)
    default_storage.save(image.thumbnail_key, ContentFile(out.getvalue()))
    Image.objects.filter(pk=image.pk).update(worker_key="")


def test_images_imported_before_are_served_clean_then_get_their_copies(
    catalogue, media_root, folder, client, capsys
):
    call_command("import_images", str(folder), "--dataset", "val", verbosity=0)
    old_import(tagged())
    Image.objects.update(worker_key="")
    image = tagged()
    # Before the backfill: cleaned as served.
    assert_clean(served(client, image_url(image)))
    assert_clean(served(client, thumbnail_url(image)))

    capsys.readouterr()
    out = io.StringIO()
    call_command("clean_images", "--workers", "2", stdout=out)
    assert "3 images cleaned (1 carried metadata" in out.getvalue()
    assert "0 left without a worker copy" in out.getvalue()
    assert "clean copies: 100%" in capsys.readouterr().err  # the progress bar
    image.refresh_from_db()
    assert image.worker_key not in ("", image.storage_key)
    assert_clean(default_storage.open(image.worker_key).read())
    assert_clean(default_storage.open(image.thumbnail_key).read())
    assert served(client, original_url(image)) == Path(image.source).read_bytes()
    assert not Image.objects.filter(worker_key="").exists()

    out = io.StringIO()
    call_command("clean_images", stdout=out)
    assert "0 images cleaned" in out.getvalue()


def test_the_admin_links_the_original_for_the_researcher(
    catalogue, media_root, folder, admin_client
):
    call_command("import_images", str(folder), "--dataset", "val", verbosity=0)
    image = tagged()
    page = admin_client.get(f"/admin/catalogue/image/{image.pk}/change/").content.decode()
    original = re.search(r'<a href="([^"]+)">original</a>', page).group(1)
    shown = re.search(r'<a href="([^"]+)">as workers see it</a>', page).group(1)
    assert served(admin_client, original) == Path(image.source).read_bytes()
    assert_clean(served(admin_client, shown))
