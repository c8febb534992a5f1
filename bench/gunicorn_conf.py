"""gunicorn's settings (`gunicorn -c bench/gunicorn_conf.py config.wsgi`): the server the web
service ran before granian (config/serve.py), kept as bench/load.py's baseline and for sites
that prefer it. Command-line options win.

gthread, 3 workers x 4 threads by default (GUNICORN_WORKERS, GUNICORN_THREADS): of the
gunicorn configurations bench/load.py compares on two cores it used the least CPU per
answer. Sync workers (8) had a shorter tail on some runs but cost 20-40% more CPU per answer:
more processes each fill their own kept task content, and every request opens a connection.
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
