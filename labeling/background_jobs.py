"""Celery jobs: thin wrappers over services, taking ids, safe to run twice.

Celery calls these "tasks"; in Groundwork a task is a HIT (``models.tasks``), so the Celery ones
live in ``background_jobs`` modules (``config.celery`` discovers them by that name) and are
named after it (``CELERY_BEAT_SCHEDULE`` uses the names)."""

from celery import shared_task

from marketplace.background import sweep_report_log

from .services.ingest import job_ingest
from .services.progress import job_advance
from .services.sweeps import run_labeling_sweeps


@shared_task(name="labeling.background_jobs.ingest_job", ignore_result=True)
def ingest_job(job_id: int) -> str | None:
    return job_ingest(job_id=job_id)


@shared_task(name="labeling.background_jobs.advance_job", ignore_result=True)
def advance_job(job_id: int) -> str | None:
    return job_advance(job_id=job_id)


@shared_task(name="labeling.background_jobs.run_sweeps", ignore_result=True)
def run_sweeps() -> dict:
    report = run_labeling_sweeps()
    sweep_report_log("labeling", report)
    return vars(report)
