"""The requester's switch: automated labeling off while the job runs (docs/automation.md)."""

from __future__ import annotations

from django.db import transaction

from marketplace.background import run_in_background
from marketplace.errors import Conflict
from marketplace.locking import locked_steering_job

from ..background_jobs import advance_job
from ..models import JobAutomation, LabelingJob

Status = JobAutomation.Status


def automation_switch_off(*, job: LabelingJob) -> JobAutomation:
    """The requester switches automated labeling off while the job runs (idempotent): no more
    rounds; the next background pass (scheduled after commit) offers every held object to
    humans. What was machine-labeled stays. ``Conflict(automation_not_requested)`` for a job
    that did not ask for it; ``Conflict(job_ended)`` once the job ended."""
    with transaction.atomic():
        locked = locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).get()
        automation = JobAutomation.objects.filter(job=locked).first()
        if automation is None:
            raise Conflict("the labeling job did not ask for automated labeling", code="automation_not_requested")
        if automation.status == Status.SWITCHED_OFF:
            return automation
        if locked.status in LabelingJob.ENDED_STATUSES:
            raise Conflict(f"the labeling job is {locked.status}", code="job_ended")
        if automation.status in (*JobAutomation.ACTIVE_STATUSES, Status.COMPLETE):
            automation.status = Status.SWITCHED_OFF
            automation.reason = (
                f"switched off by the requester; the {locked.machine_labeled} machine labels written before stay"
            )
            automation.save(update_fields=["status", "reason", "updated_at"])
            if locked.status != LabelingJob.Status.INITIALIZING:
                run_in_background(advance_job, locked.pk)
    return automation
