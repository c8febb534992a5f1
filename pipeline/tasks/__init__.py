"""Celery tasks of the pipeline: thin shells that load, call a stage's core, and store.

One module per stage; importing them here registers every task with the app."""

from pipeline.tasks import classify, contains, ping, potential_labels  # noqa: F401
