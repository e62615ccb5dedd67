"""Automated labeling in a labeling job (docs/automation.md): what ingestion, the background
pass and the requester's switch call. The learning is ``labeling.automation``'s; a round is
``automation_rounds``; the audit ``automation_audit``.

- At ingestion (``automation_at_ingest``) a job that asked for automation and is large enough
  creates its tasks ``held`` and releases only a random initial sample (and a proportional share
  of its gold) to workers; a smaller one runs without automation (``too_small``, with why).
- Each background pass (``automation_pass``, from ``progress.job_advance`` under the job's
  lease) reviews the audit, then runs a round when one is due, or releases every held task when
  automation ended (switched off, stopped by its audit).
- ``automation_switch.automation_switch_off`` (the request) only records the switch; the next
  pass releases.

Every write happens in a transaction that locks the job row first (``locked_steering_job``),
then tasks, then ledger accounts (docs/concurrency.md); the automation row is only written
under the job row's lock.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.locking import locked_steering_job
from marketplace.models import Batch, Task
from marketplace.selectors.batches import batch_progress
from marketplace.services.batches import tasks_release

from ..automation import MIN_OBJECTS, initial_sample_size
from ..models import DataObject, JobAutomation, LabelingJob
from . import automation_audit, automation_rounds
from .automation_release import RELEASE_CHUNK, gold_share, release

Status = JobAutomation.Status


def automation_at_ingest(job: LabelingJob, *, objects_total: int) -> bool:
    """Whether ingestion creates the job's tasks held (automation runs); a job too small for
    automation is marked ``too_small`` with its reason. Call inside ingestion's transaction."""
    automation = JobAutomation.objects.filter(job=job).first()
    if automation is None or automation.status != Status.WAITING_FOR_SAMPLE:
        return False
    if objects_total < MIN_OBJECTS:
        automation.status = Status.TOO_SMALL
        automation.reason = (
            f"the job has {objects_total} objects; automated labeling needs at least {MIN_OBJECTS} to validate "
            "its model on human labels, so humans label every object"
        )
        automation.save(update_fields=["status", "reason", "updated_at"])
        return False
    return True


def automation_release_sample(job: LabelingJob, batch: Batch) -> list[int]:
    """Release the initial random sample of a held job (``schedule.initial_sample_size``, drawn
    with a seed of the server's secret and the job's name, so a re-run draws the same) with its
    share of the gold. Call inside ingestion's transaction, after the tasks were created."""
    regular = list(DataObject.objects.filter(job=job, is_gold=False).order_by("pk").values_list("task_id", flat=True))
    rng = random.Random(f"{settings.SECRET_KEY}:{job.name}:automation")
    sample = rng.sample(regular, initial_sample_size(len(regular)))
    gold = gold_share(job, released=len(sample), total=len(regular))
    return release(batch, [*sample, *gold])


def automation_pass(job: LabelingJob) -> bool:
    """One background pass of the job's automated labeling (the caller holds the job's lease
    and has consolidated its answers); returns whether it gave humans work (tasks released or
    reopened), so the job must not end in this pass. Safe to repeat: each step starts from what
    the database holds."""
    automation = JobAutomation.objects.filter(job=job).first()
    if automation is None or automation.status == Status.TOO_SMALL:
        return False
    if job.stop_requested or job.stopping_condition_met:
        return False  # the stop closes held tasks too; nothing more is labeled
    gave_work = automation_audit.audit_review(job, automation)
    automation.refresh_from_db()
    if automation.status in (Status.SWITCHED_OFF, Status.STOPPED_BY_AUDIT):
        gave_work |= bool(_release_everything(job))
        if automation.status == Status.STOPPED_BY_AUDIT:
            gave_work |= automation_audit.reopen_reverted(job)
        return gave_work
    if automation.status not in JobAutomation.ACTIVE_STATUSES:
        return gave_work
    progress = batch_progress(job.posted_batch)
    if progress.held_tasks == 0:
        _set_status(job, Status.COMPLETE, "every object was machine-labeled or given to humans")
        return gave_work
    idle = progress.open_tasks == 0 and progress.live == 0
    if automation_rounds.round_is_due(job, automation, humans_idle=idle):
        gave_work |= automation_rounds.round_run(job, automation)
    return gave_work


def _release_everything(job: LabelingJob) -> int:
    """Automation ended: every held task goes to humans (in one transaction per chunk, under the
    job row's lock)."""
    held = list(
        Task.objects.filter(batch=job.posted_batch, status=Task.Status.HELD).order_by("pk").values_list("pk", flat=True)
    )
    released = 0
    for start in range(0, len(held), RELEASE_CHUNK):
        with transaction.atomic():
            locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
            released += len(tasks_release(batch=job.posted_batch, task_ids=held[start : start + RELEASE_CHUNK]))
    return released


def _set_status(job: LabelingJob, status: str, reason: str) -> None:
    with transaction.atomic():
        locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
        JobAutomation.objects.filter(job=job, status__in=JobAutomation.ACTIVE_STATUSES).update(
            status=status, reason=reason, updated_at=timezone.now()
        )
