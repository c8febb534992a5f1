"""The web service: granian serving config.wsgi (`python -m config.serve`).

docker-compose.yml, the Dockerfile and bench/load.py run it the same way. granian's HTTP layer
is compiled (Rust): requests are parsed and responses written off the GIL, which the views'
Python threads then keep to themselves. bench/load.py --compare measures this server against
gunicorn (figures in bench/README.md; running it: docs/operations.md, "The web server").
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
