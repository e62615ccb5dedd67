"""Celery tasks: thin wrappers over services, taking ids, safe to run twice."""

from celery import shared_task

from marketplace.background import sweep_report_log

from .services.ingest import job_ingest
from .services.progress import job_advance
from .services.sweeps import run_labeling_sweeps


@shared_task(name="labeling.tasks.ingest_job", ignore_result=True)
def ingest_job(job_id: int) -> str | None:
    return job_ingest(job_id=job_id)


@shared_task(name="labeling.tasks.advance_job", ignore_result=True)
def advance_job(job_id: int) -> str | None:
    return job_advance(job_id=job_id)


@shared_task(name="labeling.tasks.run_sweeps", ignore_result=True)
def run_sweeps() -> dict:
    report = run_labeling_sweeps()
    sweep_report_log("labeling", report)
    return vars(report)
