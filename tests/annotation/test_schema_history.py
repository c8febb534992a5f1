"""An installed database from before the domain apps keeps every row and permission.

The models moved from the `annotation` app to catalogue, crowd, pipeline and review; their
migrations only move Django's state, so the tables and their rows stay as they were."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

OLD = ("annotation", "0005_image_objects_related_name")

SCRIPT = f"""
import json, django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

executor = MigrationExecutor(connection)
executor.migrate([{OLD!r}])
old = executor.loader.project_state([{OLD!r}]).apps
ContentType = old.get_model("contenttypes", "ContentType")
Permission = old.get_model("auth", "Permission")
for model in ("campaign", "dataset"):
    kind = ContentType.objects.create(app_label="annotation", model=model)
    Permission.objects.create(content_type=kind, codename=f"change_{{model}}", name=model)
label = old.get_model("annotation", "LabelClass").objects.create(index=7, wnid="n0", name="cock")
dataset = old.get_model("annotation", "Dataset").objects.create(name="old")
old.get_model("annotation", "Image").objects.create(
    dataset=dataset, public_id="abc", source="a.jpg", label=label, storage_key="k",
    thumbnail_key="t", sha256="0" * 64, width=1, height=1, file_size=1)
old.get_model("annotation", "Campaign").objects.create(name="kept", dataset=dataset)
User = old.get_model("auth", "User")
user = User.objects.create(username="researcher")
user.user_permissions.add(Permission.objects.get(codename="change_campaign"))

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from catalogue.models import Image
from pipeline.models import Campaign

image = Image.objects.select_related("dataset", "label").get()
print(json.dumps({{
    "image": [image.dataset.name, image.label.name, image.public_id],
    "campaign": Campaign.objects.get().name,
    "may_change_campaigns": User.objects.get().has_perm("pipeline.change_campaign"),
    "annotation_types": list(ContentType.objects.filter(app_label="annotation")
                             .values_list("model", flat=True)),
}}))
"""


def test_rows_and_permissions_survive_the_move(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["image"] == ["old", "cock", "abc"]
    assert result["campaign"] == "kept"
    assert result["may_change_campaigns"] is True  # the permission followed its model
    assert result["annotation_types"] == []
