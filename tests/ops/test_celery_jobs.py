"""Celery finds every app's jobs in its ``background_jobs`` module ("tasks" in Groundwork are
HITs), and every job the beat schedule names is one it knows."""

from __future__ import annotations

from django.conf import settings

from config.celery import app as celery_app


def test_celery_discovers_the_background_jobs_the_beat_schedule_names():
    celery_app.loader.import_default_modules()  # what a worker does at start: runs autodiscovery
    known = set(celery_app.tasks)
    assert {
        "marketplace.background_jobs.run_sweeps",
        "labeling.background_jobs.ingest_job",
        "labeling.background_jobs.advance_job",
        "labeling.background_jobs.run_sweeps",
    } <= known
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= known
    assert not {name for name in known if ".tasks." in name}
