"""Celery tasks of the pipeline: thin shells that load, call a stage, and store.

Importing them here registers every task with the app."""

from pipeline.tasks import ping, potential_labels, runs, stages  # noqa: F401
