"""Celery tasks: thin wrappers over services, taking ids, safe to run twice."""

from celery import shared_task

from .background import sweep_report_log
from .services.sweeps import run_sweeps as run_sweeps_service


@shared_task(name="marketplace.tasks.run_sweeps", ignore_result=True)
def run_sweeps() -> dict:
    report = run_sweeps_service()
    sweep_report_log("marketplace", report)
    return vars(report)
