"""The web service: granian serving config.wsgi (`python -m config.serve`). docker-compose.yml,
the Dockerfile and bench/load.py run the same.

granian's HTTP layer is compiled (Rust), so a request's parsing and writing no longer run on
the GIL next to the views. On the 2-core machine, in three interleaved pairs of saturated
bench/load.py runs, it gave 28-35% more answers/s than gunicorn gthread 3 x 4 (499-593
against 382-462) with 1.9-2.3 ms of app CPU per answer against 2.6-3.1 (README "Load").
Each worker process imports config.wsgi itself, which loads the URLconf and freezes it out of
the cyclic collector before its first request; a worker that dies is started again.
"""

from __future__ import annotations

import argparse
import os

from granian import Granian
from granian.constants import Interfaces

TARGET = "config.wsgi:application"


def server(host: str, port: int, workers: int, threads: int) -> Granian:
    """The configured server; `.serve()` runs it until a signal stops it."""
    return Granian(
        TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,  # the Python threads of a worker, each with its connection
        backlog=2048,
        respawn_failed_workers=True,
        workers_kill_timeout=10,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "0.0.0.0"))  # noqa: S104
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
    args = parser.parse_args(argv)
    server(args.host, args.port, args.workers, args.threads).serve()


if __name__ == "__main__":
    main()
