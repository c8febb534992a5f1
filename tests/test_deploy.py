"""The production stack description is valid (where the docker CLI can check it)."""

import os
import re
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
def test_docker_compose_config_is_valid(tmp_path):
    # As an operator sets it up: the stack file beside a .env copied from .env.example.
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    env = {**os.environ, "DJANGO_SECRET_KEY": "test"}
    check = [*compose_command(), "config", "--quiet"]
    result = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    # Without a secret key the stack refuses to start, saying what is missing.
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
    # ...and without a .env it says so.
    (tmp_path / ".env").unlink()
    env["DJANGO_SECRET_KEY"] = "test"
    result = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode != 0 and ".env" in result.stderr


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


APP_SERVICES = ("web", "worker", "gpu-worker", "beat")
# Settings read through a library rather than our code, that a deployment needs to pass.
LIBRARY_SETTINGS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "HF_HUB_OFFLINE"}
# Read by the code, but not for .env in this stack, with the reason.
NOT_FOR_DOT_ENV = {
    "DJANGO_SETTINGS_MODULE": "set by manage.py, config/wsgi.py and config/celery.py",
    "WEB_HOST": "the web service's command names --host",
    "WEB_PORT": "the web service's command names --port (the proxy expects 8000)",
    "DJANGO_STATIC_ROOT": "the image's collectstatic writes the default at build time",
    "DJANGO_DEBUG": "never on in production",
}
READS = re.compile(
    r"(?:os\.environ\.get|os\.getenv|os\.environ\[|env_bool|env_list)\(?\s*\"([A-Z][A-Z0-9_]+)\""
    r"|^[A-Z_]+_ENV\s*=\s*\"([A-Z][A-Z0-9_]+)\"",
    re.MULTILINE,
)


def settings_the_code_reads() -> set[str]:
    names = set()
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "bench"}:
            continue
        for match in READS.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def dot_env_example() -> set[str]:
    """The names .env.example lists, set (NAME=...) or left at their default (# NAME=...)."""
    line = re.compile(r"^#?\s*([A-Z][A-Z0-9_]+)=", re.MULTILINE)
    return set(line.findall((ROOT / ".env.example").read_text()))


def dockerfile_env() -> set[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env_lines = [line for line in text.splitlines() if line.startswith("ENV ")]
    return {pair.split("=")[0] for line in env_lines for pair in line.split()[1:]}


def test_every_setting_the_code_reads_reaches_the_containers():
    """.env reaches every application container; .env.example names every setting the code
    reads that the stack itself does not set; and what the stack sets passes .env's value
    through wherever .env may name it."""
    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    example = dot_env_example()
    read = settings_the_code_reads()
    assert {"FINELABEL_PUBLIC_URL", "FINELABEL_MTURK_LIVE", "DJANGO_CSRF_TRUSTED_ORIGINS"} <= read
    for name in APP_SERVICES:
        service = stack["services"][name]
        listed = service["env_file"]
        listed = [listed] if isinstance(listed, str) else listed
        env_files = [e["path"] if isinstance(e, dict) else e for e in listed]
        assert ".env" in env_files, name
        fixed = set(service["environment"])
        missing = read - fixed - dockerfile_env() - example - set(NOT_FOR_DOT_ENV)
        assert not missing, f"{name}: settings neither set by the stack nor in .env.example"
        for key in example & fixed:  # the stack's value wins over .env's: it must pass it on
            assert f"${{{key}" in str(service["environment"][key]), key
    assert example >= LIBRARY_SETTINGS
    assert not example & set(NOT_FOR_DOT_ENV)
    stale = example - read - LIBRARY_SETTINGS - {"POSTGRES_PASSWORD"}
    assert not stale, "names in .env.example that nothing reads"


def test_web_checks_the_deployment_before_it_serves():
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    command = " ".join(web["command"])
    assert command.index("manage.py check --deploy") < command.index("config.serve")
