"""Timers as rows: the sweeps that Celery beat (or the in-process loop) runs every few seconds.

Each is a compare-and-set, safe to run twice or concurrently with itself and with requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..events import emit
from ..locking import locked_tasks
from ..models import Assignment, IdempotencyRecord, Task
from .assignments import assignment_auto_approve
from .escrow import escrow_sync
from .expiry import assignments_expire

SWEEP_CHUNK = 1000
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    assignments_expired: int
    tasks_expired: int
    assignments_auto_approved: int
    idempotency_records_purged: int


def sweep_overdue_assignments(now: datetime) -> list[int]:
    """Expire accepted assignments past their deadline; returns the ids expired."""
    expired: list[int] = []
    while True:
        overdue = list(
            Assignment.objects.filter(status=Assignment.Status.ACCEPTED, deadline__lte=now)
            .order_by("deadline")
            .values_list("pk", flat=True)[:SWEEP_CHUNK]
        )
        if not overdue:
            return expired
        expired += assignments_expire(assignment_ids=overdue, now=now)
        if len(overdue) < SWEEP_CHUNK:
            return expired


def sweep_ended_tasks(now: datetime) -> int:
    """Mark open and full tasks whose lifetime ended as expired (live work may still submit)."""
    live = Q(status__in=[Task.Status.OPEN, Task.Status.FULL], expires_at__lte=now)
    total = 0
    while True:
        with transaction.atomic():
            # Lock in id order and skip rows a claim holds: two sweeps never deadlock, and a task
            # skipped now is caught by the claim's own expires_at filter and the next sweep.
            ids = list(
                locked_tasks(Task.objects.filter(live), skip_locked=True).values_list("pk", flat=True)[:SWEEP_CHUNK]
            )
            total += Task.objects.filter(live, pk__in=ids).update(status=Task.Status.EXPIRED, closed_at=now)
            escrow_sync(task_ids=ids)
            emit.tasks_changed("task.expired", task_ids=ids)
        if len(ids) < SWEEP_CHUNK:
            return total


def sweep_auto_approvals(now: datetime) -> int:
    due = Assignment.objects.filter(status=Assignment.Status.SUBMITTED, auto_approve_at__lte=now)
    approved = 0
    for assignment_id in due.order_by("auto_approve_at").values_list("pk", flat=True)[: SWEEP_CHUNK * 10]:
        try:
            approved += assignment_auto_approve(assignment_id=assignment_id)
        except Exception:  # one assignment that cannot settle must not hold up all the others
            logger.exception("auto-approval of assignment %s failed; the next sweep tries again", assignment_id)
    return approved


def sweep_idempotency_records(now: datetime) -> int:
    cutoff = now - timedelta(seconds=settings.GROUNDWORK["IDEMPOTENCY_RETENTION_SECONDS"])
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def run_sweeps(now: datetime | None = None) -> SweepReport:
    """Run every sweep once. Returns what each changed."""
    now = now or timezone.now()
    return SweepReport(
        assignments_expired=len(sweep_overdue_assignments(now)),
        tasks_expired=sweep_ended_tasks(now),
        assignments_auto_approved=sweep_auto_approvals(now),
        idempotency_records_purged=sweep_idempotency_records(now),
    )
