"""A health check through the broker."""

import socket

from celery import shared_task


@shared_task(name="pipeline.tasks.ping")
def ping(value: int) -> dict:
    """Health check through the broker: echoes its argument with the worker's host name."""
    return {"value": value, "squared": value * value, "worker": socket.gethostname()}
