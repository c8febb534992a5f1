"""Images reach pages only through signed, opaque URLs that cannot be forged or guessed."""

import time
from pathlib import Path

import pytest
from django.core import signing
from django.core.management import call_command

from catalogue.image_urls import FULL, THUMBNAIL, image_url, image_urls, sign_image, thumbnail_url
from catalogue.models import Image
from tests.helpers import make_folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(catalogue, media_root, tmp_path):
    folder = make_folder(tmp_path / "in", {"n01440764": 2})
    call_command("import_images", str(folder), "--dataset", "val", verbosity=0)
    return Image.objects.first()


def test_signed_urls_serve_the_image_and_its_thumbnail(client, image):
    full = client.get(image_url(image))
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert b"".join(full.streaming_content) == Path(image.source).read_bytes()
    thumb = client.get(thumbnail_url(image))
    assert thumb.status_code == 200
    assert len(b"".join(thumb.streaming_content)) < image.file_size


def test_urls_reveal_no_file_name_or_class(image):
    for url in (image_url(image), thumbnail_url(image)):
        assert "n01440764" not in url and "img_" not in url and "tench" not in url
        assert str(image.pk) not in url.split("/")


def test_forged_or_guessed_tokens_are_refused(client, image):
    other = Image.objects.exclude(pk=image.pk).first()
    token = sign_image(image, "f")
    value, _, signature = token.rpartition(":")
    tampered = f"{other.public_id}.f:{value.split(':')[1]}:{signature}"
    for bad in (
        tampered,
        f"{image.public_id}.f",
        "x" * 40,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
    ):
        assert client.get(f"/img/{bad}").status_code == 404
    # Signed with another key: refused too.
    forged = signing.TimestampSigner(key="not-our-key", salt="finelabel.image-url").sign(
        f"{image.public_id}.f"
    )
    assert client.get(f"/img/{forged}").status_code == 404


def test_urls_expire(client, image, settings):
    url = image_url(image)
    settings.FINELABEL_IMAGE_URL_MAX_AGE = 1
    time.sleep(2.1)
    assert client.get(url).status_code == 404


def test_batch_signed_urls_serve_the_same_files_as_single_ones(client, image):
    for variant, key, single in (
        (THUMBNAIL, image.thumbnail_key, thumbnail_url(image)),
        (FULL, image.storage_key, image_url(image)),
    ):
        [batch] = image_urls([(image.public_id, key)], variant)
        assert batch.rsplit("/", 1)[0] == single.rsplit("/", 1)[0]
        served, expected = client.get(batch), client.get(single)
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == b"".join(expected.streaming_content)
