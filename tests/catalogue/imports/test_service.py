"""Image import from a folder, a CSV manifest and an S3 prefix; bad inputs; idempotency."""

import io
import shutil
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as PILImage

from catalogue.imports.sources import sample_per_class
from catalogue.models import Dataset, Image, LabelClass
from tests.helpers import free_port, make_folder, write_jpeg

pytestmark = pytest.mark.django_db

TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01484850"


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import_images", *args, "--workers", "2", verbosity=0, stdout=out)
    return out.getvalue()


def test_folder_import_stores_files_thumbnails_and_rows(catalogue, media_root, tmp_path):
    folder = make_folder(tmp_path / "in", {TENCH: 3, GOLDFISH: 2})
    out = run_import(str(folder), "--dataset", "val")
    assert "5 imported" in out
    images = Image.objects.filter(dataset__name="val")
    assert images.count() == 5
    assert images.filter(label__wnid=TENCH).count() == 3
    image = images.first()
    assert (image.width, image.height) == (500, 375)
    with default_storage.open(image.storage_key) as f:
        assert f.read() == Path(image.source).read_bytes()
    with default_storage.open(image.thumbnail_key) as f:
        thumb = PILImage.open(f)
        assert max(thumb.size) == 256 and thumb.format == "JPEG"
    # Storage keys are opaque: no file name, wnid or class in them.
    for key in (image.storage_key, image.thumbnail_key):
        assert TENCH not in key and GOLDFISH not in key and "img_" not in key


def test_reimport_imports_nothing_twice(catalogue, media_root, tmp_path):
    folder = make_folder(tmp_path / "in", {TENCH: 3})
    run_import(str(folder), "--dataset", "val")
    write_jpeg(folder / TENCH / "new.JPEG", seed=999)
    out = run_import(str(folder), "--dataset", "val")
    assert "1 imported, 3 already there" in out
    assert Image.objects.count() == 4


def test_bad_files_are_reported_and_the_rest_imported(catalogue, media_root, tmp_path):
    folder = make_folder(tmp_path / "in", {TENCH: 2, GOLDFISH: 1})
    (folder / GOLDFISH / "notes.txt").write_text("not an image")
    good = (folder / TENCH / "img_0000.JPEG").read_bytes()
    (folder / GOLDFISH / "truncated.JPEG").write_bytes(good[: len(good) // 2])
    make_folder(folder, {"n99999999": 1})  # no such class
    shutil.copy(folder / TENCH / "img_0001.JPEG", folder / GOLDFISH / "copy.JPEG")
    out = run_import(str(folder), "--dataset", "val")
    assert "Unreadable files: 2" in out
    assert "notes.txt: not an image" in out
    assert "truncated.JPEG: not a readable image: image file is truncated" in out
    assert "Unknown classes: 1" in out and "unknown class 'n99999999'" in out
    assert "copy.JPEG: same bytes as" in out
    assert Image.objects.count() == 3


def test_missing_folder_is_a_clear_error_and_keeps_what_is_stored(catalogue, media_root, tmp_path):
    run_import(str(make_folder(tmp_path / "in", {TENCH: 1})), "--dataset", "val")
    with pytest.raises(CommandError, match="Image folder not found: .*nowhere"):
        run_import(str(tmp_path / "nowhere"), "--dataset", "val")
    assert Image.objects.count() == 1


def test_import_needs_the_catalogue(db, tmp_path):
    LabelClass.objects.all().delete()  # rolled back with the test
    with pytest.raises(CommandError, match="load_imagenet_classes"):
        run_import(str(tmp_path), "--dataset", "val")


def test_csv_manifest_with_paths_and_indices(catalogue, media_root, tmp_path):
    write_jpeg(tmp_path / "a.jpg", seed=1)
    write_jpeg(tmp_path / "sub" / "b.jpg", seed=2)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"path,label\na.jpg,{TENCH}\nsub/b.jpg,1\nmissing.jpg,{TENCH}\n")
    out = run_import(str(manifest), "--dataset", "csv")
    assert "2 imported" in out and "missing.jpg: cannot read" in out
    labels = sorted(Image.objects.values_list("label__index", flat=True))
    assert labels == [0, 1]


def test_csv_manifest_without_a_usable_header(catalogue, tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file_name,what\na.jpg,n01440764\n")
    with pytest.raises(CommandError, match="needs a header with one of path"):
        run_import(str(manifest), "--dataset", "csv")
    assert not Dataset.objects.filter(name="csv").exists()


def test_per_class_sampling_is_reproducible(catalogue, media_root, tmp_path):
    folder = make_folder(tmp_path / "in", {TENCH: 6, GOLDFISH: 2})
    run_import(str(folder), "--dataset", "s1", "--per-class", "3", "--seed", "7")
    run_import(str(folder), "--dataset", "s2", "--per-class", "3", "--seed", "7")
    first = set(Image.objects.filter(dataset__name="s1").values_list("source", flat=True))
    second = set(Image.objects.filter(dataset__name="s2").values_list("source", flat=True))
    assert first == second and len(first) == 5  # 3 tench + the only 2 goldfish


def test_sampling_depends_on_the_seed(tmp_path):
    from catalogue.imports.sources import ImportItem

    items = [ImportItem(f"/x/{i}.jpg", TENCH) for i in range(100)]
    picks = {tuple(i.locator for i in sample_per_class(items, 10, seed)) for seed in range(5)}
    assert len(picks) == 5


@pytest.fixture
def s3_server(monkeypatch):
    """A local S3-compatible server (moto in server mode) that boto3 talks to over HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield f"http://{host}:{port}"
    server.stop()


def test_import_from_an_s3_prefix(catalogue, media_root, tmp_path, settings, s3_server):
    settings.AWS_S3_ENDPOINT_URL = s3_server
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="images")
    folder = make_folder(tmp_path / "in", {TENCH: 2, GOLDFISH: 1})
    for path in folder.rglob("*.JPEG"):
        s3.upload_file(str(path), "images", f"val/{path.parent.name}/{path.name}")
    s3.put_object(Bucket="images", Key="val/n01443537/broken.JPEG", Body=b"garbage")
    out = run_import("s3://images/val/", "--dataset", "s3val")
    assert "3 imported" in out and "broken.JPEG: not an image" in out
    assert Image.objects.filter(source__startswith="s3://images/val/").count() == 3
    out = run_import("s3://images/val", "--dataset", "s3val")
    assert "0 imported, 3 already there" in out
    with pytest.raises(CommandError, match="S3 bucket not found: nobucket"):
        run_import("s3://nobucket/val/", "--dataset", "s3val")


def test_one_worker_import_stores_files_with_the_storage_permissions(
    catalogue, media_root, tmp_path, settings
):
    """The files are written as Django's storage would write them, folders included, also
    when the media folder went away between two imports in the same process."""
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
    folder = make_folder(tmp_path / "in", {TENCH: 2})
    out = io.StringIO()
    call_command("import_images", str(folder), "--dataset", "a", "--workers", "1", stdout=out)
    shutil.rmtree(media_root)
    call_command("import_images", str(folder), "--dataset", "b", "--workers", "1", stdout=out)
    images = Image.objects.filter(dataset__name="b")
    assert images.count() == 2
    for image in images:
        for key in (image.storage_key, image.thumbnail_key):
            path = Path(default_storage.path(key))
            assert path.stat().st_mode & 0o777 == 0o640
            assert path.parent.stat().st_mode & 0o777 == 0o750
        assert Path(default_storage.path(image.storage_key)).read_bytes() == (
            Path(image.source).read_bytes()
        )


def test_import_into_s3_storage(catalogue, tmp_path, settings, s3_server):
    """With S3 storage the workers send the bytes back and the parent stores them."""
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="media")
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_STORAGE_BUCKET_NAME = "media"
    s3_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage}
    folder = make_folder(tmp_path / "in", {TENCH: 2, GOLDFISH: 1})
    out = run_import(str(folder), "--dataset", "s3media")
    assert "3 imported" in out
    for image in Image.objects.filter(dataset__name="s3media"):
        original = s3.get_object(Bucket="media", Key=image.storage_key)["Body"].read()
        assert original == Path(image.source).read_bytes()
        thumb = s3.get_object(Bucket="media", Key=image.thumbnail_key)["Body"].read()
        assert max(PILImage.open(io.BytesIO(thumb)).size) == 256


def test_unreachable_s3_endpoint_is_one_line_naming_the_setting(catalogue, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.AWS_S3_ENDPOINT_URL = endpoint
    with pytest.raises(CommandError) as error:
        run_import("s3://images/val/", "--dataset", "s3val")
    message = str(error.value)
    assert f"Cannot reach S3 at {endpoint}" in message and "AWS_S3_ENDPOINT_URL" in message
    assert "\n" not in message
    assert not Dataset.objects.filter(name="s3val").exists()


def test_s3_without_credentials_says_what_to_set(catalogue, settings, s3_server, monkeypatch):
    settings.AWS_S3_ENDPOINT_URL = s3_server
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it keeps the credentials it found
    with pytest.raises(CommandError, match="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        run_import("s3://images/val/", "--dataset", "s3val")


def test_empty_s3_prefix_is_an_error_not_an_empty_dataset(catalogue, settings, s3_server):
    settings.AWS_S3_ENDPOINT_URL = s3_server
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket="sparse")  # moto's buckets outlive a test: a name of its own
    s3.put_object(Bucket="sparse", Key="train/n01440764/a.JPEG", Body=b"elsewhere")
    with pytest.raises(CommandError, match=r"No images under s3://sparse/val/"):
        run_import("s3://sparse/val/", "--dataset", "s3val")
    assert not Dataset.objects.filter(name="s3val").exists()


def test_folder_without_images_is_an_error_not_an_empty_dataset(catalogue, tmp_path):
    (tmp_path / "in" / TENCH).mkdir(parents=True)
    with pytest.raises(CommandError, match=r"No images under .*in: expected one sub-folder"):
        run_import(str(tmp_path / "in"), "--dataset", "empty")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,label\n")
    with pytest.raises(CommandError, match=r"Manifest .*manifest.csv lists no images"):
        run_import(str(manifest), "--dataset", "empty")
    assert not Dataset.objects.filter(name="empty").exists()
