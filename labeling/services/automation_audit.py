"""The audit of machine labels (docs/automation.md, "Audit").

Each round sends a random share of the objects its model would machine-label (at least 2%, and
at least 20 over the job) to humans instead, keeping the model's label in ``machine_result``.
Once humans labeled such an object, its human label is compared with the model's (the object
is written and counted as human-labeled either way). ``labeling.automation.audit_verdict``
judges the agreement, per round and over the whole job; when it fails, automation stops and
the machine labels it no longer vouches for go back to human labeling: every round's when the
whole job's agreement fails, else the failing rounds' and those whose audit is not complete.
Their objects become unlabeled again, and their tasks (closed early, never worked on) are
reopened with their escrow reserved again (``tasks_reopen``); the money saved and the machine
count drop by the same objects, so nothing is lost or counted twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.locking import locked_steering_job
from marketplace.models import Task
from marketplace.services.ledger import InsufficientBalance
from marketplace.services.task_steering import tasks_reopen

from ..automation import audit_verdict
from ..models import DataObject, JobAutomation, LabelingJob
from ..selectors.automation import AUDIT_AGREED, AUDIT_DISAGREED, AUDIT_LAPSED, AUDIT_PENDING, audit_by_round
from .automation_rounds import slot_cost_micros

logger = logging.getLogger(__name__)

Status = JobAutomation.Status
REOPEN_CHUNK = 500


def audit_review(job: LabelingJob, automation: JobAutomation) -> bool:
    """Record the audited objects humans finished, then judge; returns whether a failed audit
    gave humans work back. The audit keeps judging after a switch-off: a machine label that its
    audit disproves never stays."""
    if automation.status == Status.TOO_SMALL:
        return False
    _record(job, automation)
    if automation.status == Status.STOPPED_BY_AUDIT:
        return False
    rounds = audit_by_round(job)
    failing = [number for number, (agreed, audited, _) in rounds.items() if not _passes(agreed, audited, automation)]
    agreed_total = sum(agreed for agreed, _, _ in rounds.values())
    audited_total = sum(audited for _, audited, _ in rounds.values())
    if _passes(agreed_total, audited_total, automation) and not failing:
        return False
    if _passes(agreed_total, audited_total, automation):
        unproven = {number for number, (_, _, pending) in rounds.items() if pending}
        affected = sorted(set(failing) | unproven)
    else:
        affected = sorted(rounds)
    reason = (
        f"stopped by its audit: humans agreed with {agreed_total} of {audited_total} audited machine labels"
        + (f" (failing rounds: {', '.join(map(str, failing))})" if failing else "")
        + f", below the target accuracy {automation.target_accuracy} with 95% confidence; the machine labels "
        f"of rounds {', '.join(map(str, affected))} went back to human labeling"
    )
    _stop(job, automation, affected, reason)
    return reopen_reverted(job)


def _passes(agreed: int, audited: int, automation: JobAutomation) -> bool:
    return audited == 0 or audit_verdict(agreed, audited, automation.target_accuracy)


def _record(job: LabelingJob, automation: JobAutomation) -> None:
    """Mark each pending audit humans finished (agreed, disagreed; lapsed: no human label came)
    and refresh the job's audit totals."""
    rows = DataObject.objects.filter(job=job, audit=AUDIT_PENDING).exclude(status=DataObject.Status.PENDING)
    verdicts: dict[str, list[int]] = defaultdict(list)
    for pk, status, result, machine in rows.values_list("pk", "status", "result", "machine_result"):
        if status != DataObject.Status.LABELED or result is None or machine is None:
            verdicts[AUDIT_LAPSED].append(pk)
        else:
            same = int(result["label"]) == int(machine["label"])
            verdicts[AUDIT_AGREED if same else AUDIT_DISAGREED].append(pk)
    if not verdicts:
        return
    with transaction.atomic():
        locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
        for verdict, pks in verdicts.items():
            DataObject.objects.filter(pk__in=pks, audit=AUDIT_PENDING).update(audit=verdict)
        rounds = audit_by_round(job)
        JobAutomation.objects.filter(pk=automation.pk).update(
            audited=sum(audited for _, audited, _ in rounds.values()),
            audit_agreed=sum(agreed for agreed, _, _ in rounds.values()),
            updated_at=timezone.now(),
        )
    automation.refresh_from_db()


def _stop(job: LabelingJob, automation: JobAutomation, rounds: list[int], reason: str) -> None:
    with transaction.atomic():
        locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
        current = JobAutomation.objects.get(pk=automation.pk)
        if current.status == Status.STOPPED_BY_AUDIT:
            return
        reverted = DataObject.objects.filter(job=job, is_machine_labeled=True, machine_round__in=rounds)
        count = reverted.update(
            status=DataObject.Status.PENDING, result=None, confidence=None, is_machine_labeled=False, labeled_at=None
        )
        LabelingJob.objects.filter(pk=job.pk).update(machine_labeled=F("machine_labeled") - count)
        current.saved_micros -= count * job.workers_per_object * slot_cost_micros(job)
        current.status = Status.STOPPED_BY_AUDIT
        current.reason = reason
        current.save()
    automation.refresh_from_db()


def reopen_reverted(job: LabelingJob) -> bool:
    """Offer again the tasks of machine labels the audit sent back (in chunks, each all or
    nothing); returns whether any reopened. Chunks the requester's balance cannot cover stay
    closed and are tried again on later passes; if the job ends first, their objects are written
    unlabeled."""
    waiting = list(
        DataObject.objects.filter(
            job=job,
            is_gold=False,
            status=DataObject.Status.PENDING,
            machine_round__isnull=False,
            is_machine_labeled=False,
            task__status=Task.Status.COMPLETE,
            task__slots_used=0,
        )
        .order_by("task_id")
        .values_list("task_id", flat=True)
    )
    reopened = 0
    for start in range(0, len(waiting), REOPEN_CHUNK):
        try:
            with transaction.atomic():
                locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
                reopened += len(tasks_reopen(batch=job.posted_batch, task_ids=waiting[start : start + REOPEN_CHUNK]))
        except InsufficientBalance:
            logger.warning("labeling job %s: the balance cannot pay for relabeling reverted machine labels", job.pk)
            break
    return bool(reopened)
