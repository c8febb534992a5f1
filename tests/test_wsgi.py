"""What the WSGI module leaves loaded before a server's first request (each granian worker,
config/serve.py; gunicorn's preload_app, bench/gunicorn_conf.py): the URLconf with every view's
imports, and all of it frozen out of the cyclic collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import gc, json, sys
import config.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "urls": "config.urls" in sys.modules,
                  "dashboard": "dashboard.views" in sys.modules}))
"""


def test_the_wsgi_module_loads_the_urlconf_and_freezes_what_it_loaded(tmp_path):
    env = {"PATH": os.environ["PATH"], "FINELABEL_VAR_DIR": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["urls"] and probe["dashboard"]
    assert probe["frozen"] > 50_000  # the modules' objects, not a handful


def test_gunicorn_reads_the_settings_file():
    from gunicorn.config import Config

    config = Config()
    namespace: dict = {}
    exec((ROOT / "bench" / "gunicorn_conf.py").read_text(), namespace)  # noqa: S102 (our file)
    for name in ("worker_class", "workers", "threads", "keepalive", "backlog", "preload_app"):
        config.set(name, namespace[name])
    assert config.worker_class_str == "gthread" and config.workers == 3 and config.threads == 4
    assert config.preload_app is True
