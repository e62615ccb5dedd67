"""Celery tasks: thin wrappers over services, taking ids, safe to run twice."""

from celery import shared_task

from .services.sweeps import run_sweeps as run_sweeps_service


@shared_task(name="marketplace.tasks.run_sweeps", ignore_result=True)
def run_sweeps() -> dict:
    return vars(run_sweeps_service())
