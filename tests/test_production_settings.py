"""Production mode (FINELABEL_PRODUCTION, set by docker-compose.yml, behind its TLS proxy)
passes `manage.py check --deploy` without a single warning: HTTPS only (a redirect, HSTS),
Secure cookies, the proxy's X-Forwarded-Proto trusted. The embedded default (no environment)
stays usable over plain http on 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
HOST = "labels.example.org"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FINELABEL_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "FINELABEL_PRODUCTION": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        **extra,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    check = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run(check, production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_mode_needs_a_secret_key_of_its_own(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


BEHIND_THE_PROXY = f"""
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST={HOST!r})
plain = client.get("/admin/login/")
tls = client.get("/admin/login/", headers={{"X-Forwarded-Proto": "https"}})
health = client.get("/health/")
print(json.dumps({{
    "plain": [plain.status_code, plain.get("Location")],
    "tls": [tls.status_code, tls.get("Strict-Transport-Security")],
    "csrf_cookie_secure": bool(tls.cookies["csrftoken"]["secure"]),
    "health": health.status_code,
}}))
"""


@pytest.mark.slow
def test_behind_the_proxy_plain_http_is_redirected_and_https_is_strict(tmp_path):
    result = run(["-c", BEHIND_THE_PROXY], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, f"https://{HOST}/admin/login/"]
    status, hsts = seen["tls"]
    assert status == 200 and "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert seen["csrf_cookie_secure"]
    # The health check of docker-compose.yml asks over plain http inside the stack.
    assert seen["health"] == 200


def test_the_embedded_default_serves_plain_http(client, db):
    """These tests run on the embedded default's settings: no redirect, no Secure cookie."""
    assert not settings.FINELABEL_PRODUCTION
    assert not settings.SECURE_SSL_REDIRECT and not settings.SECURE_HSTS_SECONDS
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert not response.cookies["csrftoken"]["secure"]


def test_compose_runs_production_mode_behind_its_tls_proxy():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "gpu-worker", "beat"):
        assert services[name]["environment"]["FINELABEL_PRODUCTION"] == "1"
    assert "ports" not in services["web"]  # the proxy is the only way in
    proxy = services["proxy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert "./config/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert "reverse_proxy web:8000" in (ROOT / "config" / "Caddyfile").read_text()
    assert "mark_interrupted_runs" in " ".join(services["web"]["command"])
