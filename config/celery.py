"""The Celery app: ``celery -A config worker -B`` runs background work and the sweeps."""

import os

from celery import Celery

# The request id in every job's headers, bound while the job runs (its signals connect here).
from marketplace.observability import jobs  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("groundwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's Celery jobs are in its ``background_jobs`` module: "tasks" here means HITs.
app.autodiscover_tasks(related_name="background_jobs")
