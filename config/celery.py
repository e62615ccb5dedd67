"""The Celery app: ``celery -A config worker -B`` runs background work and the sweeps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("groundwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's Celery jobs are in its ``background_jobs`` module: "tasks" here means HITs.
app.autodiscover_tasks(related_name="background_jobs")
