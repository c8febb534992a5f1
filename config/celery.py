"""The Celery app. Queues: `default` (pipeline), `gpu` (model ensemble), `mturk` (API calls)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("finelabel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["pipeline"])
app.autodiscover_tasks(["dashboard"], related_name="warm")
app.autodiscover_tasks(["crowd.mturk"])
