"""Kept database connections (DATABASE_CONN_MAX_AGE) are checked before a request uses them:
after the database drops its connections (a restart, a failover, an idle timeout), the next
request on each kept connection opens a new one instead of failing with a 500."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_kept_connections_are_health_checked():
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def get(handler: WSGIHandler, path: str) -> int:
    """Status of a GET served the way the web server serves it: through Django's WSGI handler,
    whose request_started signal checks old connections (the test client skips that)."""
    statuses = []
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    body = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    body.close()
    return int(statuses[0].split()[0])


@pytest.mark.postgres  # an SQLite connection has no server to drop it
def test_a_connection_the_database_dropped_is_replaced_before_the_request_uses_it():
    import psycopg2

    handler = WSGIHandler()
    assert get(handler, "/health/") == 200
    assert connection.connection is not None  # kept for the next request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    # The server ends that connection, as a restart or failover of the database would.
    admin = psycopg2.connect(**connection.get_connection_params())
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        admin.close()
    assert get(handler, "/health/") == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
