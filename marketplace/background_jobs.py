"""Celery jobs: thin wrappers over services, taking ids, safe to run twice.

Celery calls these "tasks"; in Groundwork a task is a HIT (``models.tasks``), so the Celery ones
live in ``background_jobs`` modules (``config.celery`` discovers them by that name) and are
named after it (``CELERY_BEAT_SCHEDULE`` uses the names)."""

from celery import shared_task

from .background import sweep_report_log
from .events.background_jobs import deliver_webhooks, sweep_webhooks
from .services.sweeps import run_sweeps as run_sweeps_service


@shared_task(name="marketplace.background_jobs.run_sweeps", ignore_result=True)
def run_sweeps() -> dict:
    report = run_sweeps_service()
    sweep_report_log("marketplace", report)
    return vars(report)


__all__ = ["deliver_webhooks", "run_sweeps", "sweep_webhooks"]
