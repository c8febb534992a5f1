"""With no environment at all, finelabel migrates onto SQLite and serves pages."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_embedded_default_migrates_and_serves(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FINELABEL_VAR_DIR": str(tmp_path / "var"),
    }  # else nothing: SQLite, eager, local files
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    assert (tmp_path / "var" / "finelabel.sqlite3").exists()
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None, "the server never answered"
        assert "finelabel" in body and "label classes loaded" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/finelabel.css") as r:
            assert r.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_an_empty_database_url_means_the_embedded_default():
    env = {**os.environ, "DATABASE_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
