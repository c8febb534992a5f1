"""gunicorn's settings (`gunicorn -c bench/gunicorn_conf.py config.wsgi`): bench/load.py's
baseline against the web service's granian (config/serve.py), and a server for sites that
prefer gunicorn. Command-line options win.

gthread, 3 workers x 4 threads by default (GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_WORKER_CLASS): of the gunicorn configurations bench/load.py compares, it uses the
least CPU per answer. Sync workers cost more: more processes each fill their own kept task
content, and every request opens a connection (figures in bench/README.md).
"""

import os

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 30
backlog = 2048
# The application (and its URLconf, config/wsgi.py) is imported once in the master and shared
# by the forked workers: a worker started again after a crash serves at once.
preload_app = True
