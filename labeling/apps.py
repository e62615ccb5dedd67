from django.apps import AppConfig

from marketplace import background
from marketplace.errors import ERROR_CODES
from marketplace.observability.sources import register_gauges

ERROR_CODES_OF_LABELING = {
    "name_taken": "A labeling job of this requester already has that name (409).",
    "job_ended": "The labeling job has already completed or failed (409).",
    "not_streaming": "The labeling job does not take objects while it runs: it was not created streaming (409).",
    "job_not_started": "The labeling job is still initializing; it takes objects once it is in_progress (409).",
    "automation_not_requested": "The labeling job did not ask for automated labeling, so there is none to switch "
    "(409).",
    "chain_source_not_ended": "The labeling job named by chain_from_job_id has not completed or stopped, so it has "
    "no final output to chain from (409).",
}


class LabelingConfig(AppConfig):
    name = "labeling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Labeling task types plug their answer checks and worker-input rendering into the
        # marketplace, which knows nothing of jobs (DESIGN.md "Parts").
        # Imported here, not at the top: both import models, which Django allows only once
        # every app is loaded (AppConfig.ready).
        from .observability import labeling_gauges
        from .services.sweeps import run_labeling_sweeps
        from .task_types.registration import register_with_marketplace

        register_with_marketplace()
        ERROR_CODES.update(ERROR_CODES_OF_LABELING)
        # The reconciler that ingests, consolidates and ends jobs (Celery beat runs it too).
        background.register_sweep("labeling", run_labeling_sweeps)
        register_gauges("labeling", labeling_gauges)  # labeling jobs by status, at /metrics
