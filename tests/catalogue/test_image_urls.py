"""Images reach pages only through signed, opaque URLs that cannot be forged or guessed; on
HIT pages, through handles specific to the task that shows them."""

import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.management import call_command

from catalogue.image_urls import (
    FULL,
    THUMBNAIL,
    image_url,
    image_urls,
    sign_image,
    task_image_url,
    task_image_urls,
    thumbnail_url,
)
from catalogue.models import Image
from tests.helpers import make_folder

pytestmark = pytest.mark.django_db
django_settings_key = django_settings.SECRET_KEY


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


# Task handles: what HIT pages show.


def test_a_task_handle_serves_its_picture_and_names_nothing(client, image):
    for variant, key in ((FULL, image.storage_key), (THUMBNAIL, image.thumbnail_key)):
        url = task_image_url("contains:grid1", image.public_id, variant)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == default_storage.open(key).read()
        assert "Content-Disposition" not in response  # it would name the stored file
        assert image.public_id not in url and "n01440764" not in url


def test_the_same_picture_has_unrelated_handles_in_two_tasks(image):
    one = task_image_urls("contains:grid1", [image.public_id] * 2, FULL)
    two = task_image_url("contains:grid2", image.public_id, FULL)
    assert one[0] == one[1]  # the same task at the same second: the same handle
    assert one[0] != two
    a, b = (u.rsplit("/", 1)[1] for u in (one[0], two))
    assert not {a[i : i + 6] for i in range(len(a) - 5)} & {b[i : i + 6] for i in range(len(b) - 5)}


def test_forged_altered_or_foreign_handles_are_refused(client, image, settings):
    url = task_image_url("contains:grid1", image.public_id)
    prefix, token = url.rsplit("/", 1)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (flipped, token[:-4], token + "AAAA", "A" * 60, "%%%%", token[::-1]):
        assert client.get(f"{prefix}/{bad}").status_code == 404, bad
    settings.SECRET_KEY = "another-key-" + "x" * 40
    assert client.get(url).status_code == 404
    # A rotated key keeps handles already on pages working until they expire.
    settings.SECRET_KEY_FALLBACKS = [django_settings_key]
    assert client.get(url).status_code == 200


def test_task_handles_expire(client, image, settings):
    settings.FINELABEL_IMAGE_URL_MAX_AGE = 1
    url = task_image_url("classify:task1", image.public_id)
    assert client.get(url).status_code == 200
    time.sleep(2.1)
    assert client.get(url).status_code == 404
