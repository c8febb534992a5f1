"""The production stack description is valid (where the docker CLI can check it)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose_command() -> list[str] | None:
    """`docker compose` (the CLI plugin) or the standalone `docker-compose`."""
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(compose_command() is None, reason="neither docker compose nor docker-compose")
def test_docker_compose_config_is_valid():
    env = {**os.environ, "DJANGO_SECRET_KEY": "test"}
    check = [*compose_command(), "config", "--quiet"]
    result = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    # Without a secret key the stack refuses to start, saying what is missing.
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_compose_stack_has_every_service_with_health_checks():
    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = stack["services"]
    assert set(services) >= {"web", "worker", "gpu-worker", "beat", "db", "redis"}
    for name in services:
        assert "healthcheck" in services[name], name
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][-1]
    assert "config.serve" in " ".join(services["web"]["command"])
    assert "--queues=gpu" in services["gpu-worker"]["command"]
    devices = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    for name in ("web", "worker", "gpu-worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert {"pgdata", "media"} <= set(stack["volumes"])
