"""The labeling reconciler: every few seconds, each active job is moved along from what the
database says, so a lost message or a dead process delays a job but never strands it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import LabelingJob
from .ingest import job_ingest
from .job_events import job_status_changed
from .output import OutputFailed
from .progress import job_advance, job_release_batch

logger = logging.getLogger(__name__)
# Consecutive failed passes (about a minute of sweeps) before a job is failed.
MAX_BACKGROUND_ERRORS = 12


@dataclass(frozen=True)
class LabelingSweepReport:
    """What one pass changed: jobs ingested, jobs that consolidated new answers or changed
    status (a job with nothing new is looked at but not counted), jobs ended."""

    jobs_ingested: int
    jobs_advanced: int
    jobs_ended: int


def run_labeling_sweeps() -> LabelingSweepReport:
    """Ingest initializing jobs and advance in-progress and stopping ones (each skips a job
    another process holds). One job's failure is logged and does not stop the others."""
    ingested = ended = 0
    looked_at: dict[int, tuple[str, int]] = {}  # job id → (status, answers consolidated) before
    jobs = LabelingJob.objects.filter(status__in=LabelingJob.ACTIVE_STATUSES).order_by("pk")
    for job_id, status, errors, consolidated in jobs.values_list(
        "pk", "status", "background_errors", "answers_consolidated"
    ):
        try:
            if status == LabelingJob.Status.INITIALIZING:
                after = job_ingest(job_id=job_id)
                ingested += after is not None
            else:
                after = job_advance(job_id=job_id)
                if after is not None:
                    looked_at[job_id] = (status, consolidated)
            ended += after in LabelingJob.ENDED_STATUSES
            if errors and after is not None:
                LabelingJob.objects.filter(pk=job_id).update(background_errors=0)
        except OutputFailed as exc:  # the storage failed; the next pass tries again
            logger.warning("labeling job %s: %s", job_id, exc.reason)
            ended += _count_error(job_id, exc.reason)
        except Exception as exc:
            logger.exception("labeling job %s could not be moved along", job_id)
            reason = f"an internal error stopped the job ({exc.__class__.__name__}); its data is kept, please report it"
            ended += _count_error(job_id, reason)
    return LabelingSweepReport(jobs_ingested=ingested, jobs_advanced=_count_advanced(looked_at), jobs_ended=ended)


def _count_advanced(looked_at: dict[int, tuple[str, int]]) -> int:
    """How many of these jobs now differ from what the pass found: one query for all of them."""
    if not looked_at:
        return 0
    now = LabelingJob.objects.filter(pk__in=looked_at).values_list("pk", "status", "answers_consolidated")
    return sum(1 for job_id, status, consolidated in now if (status, consolidated) != looked_at[job_id])


def _count_error(job_id: int, reason: str) -> bool:
    """Count a failed pass; after ``MAX_BACKGROUND_ERRORS`` in a row the job fails with
    ``reason`` (its data stays) instead of being retried for ever. Returns whether it did."""
    LabelingJob.objects.filter(pk=job_id).update(background_errors=F("background_errors") + 1)
    now = timezone.now()
    with transaction.atomic():
        failed = LabelingJob.objects.filter(
            pk=job_id, status__in=LabelingJob.ACTIVE_STATUSES, background_errors__gte=MAX_BACKGROUND_ERRORS
        ).update(status=LabelingJob.Status.FAILED, ended_at=now, updated_at=now, failure_reason=reason)
        if failed:
            job = LabelingJob.objects.select_related("batch").get(pk=job_id)
            job_release_batch(job)
            job_status_changed(job_id=job_id, requester_id=job.requester_id)
    return bool(failed)
