"""Freeing slots: assignments that end without an answer (returned or expired)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F

from ..events import emit
from ..locking import locked_assignments
from ..models import Assignment, Task
from ..realtime.hints import hint_assignments_expired, hint_work_available
from ..task_status import STATUS_AFTER_RELEASE
from .escrow import escrow_sync
from .reputation import reputation_count


def release_slot(task_id: int) -> None:
    """Give back one used slot of a task (a full task becomes open again; on a closed task the
    slot's reserve goes back to the requester)."""
    Task.objects.filter(pk=task_id).update(slots_used=F("slots_used") - 1, status=STATUS_AFTER_RELEASE)
    escrow_sync(task_ids=[task_id])


def assignments_expire(*, assignment_ids: Iterable[int], now: datetime) -> list[int]:
    """Expire those of the given assignments that are still accepted and overdue at ``now``.

    Each is a compare-and-set in its own short transaction (assignment row, then its task),
    safe to run twice or concurrently with submits and other sweeps: an assignment submitted in
    between is left alone. Returns the ids this call expired.
    """
    expired: list[tuple[int, int, int]] = []  # (assignment, worker, workteam)
    for assignment_id in assignment_ids:
        with transaction.atomic():
            rows = list(
                locked_assignments(
                    Assignment.objects.filter(pk=assignment_id, status=Assignment.Status.ACCEPTED, deadline__lte=now)
                ).values_list("task_id", "worker_id", "task__workteam_id", "task__requester_id")
            )
            if not rows:
                continue
            task_id, worker_id, workteam_id, requester_id = rows[0]
            Assignment.objects.filter(pk=assignment_id).update(status=Assignment.Status.EXPIRED, expired_at=now)
            release_slot(task_id)
            reputation_count(worker_id=worker_id, expired=1)
            emit.assignment_changed_by_id("assignment.expired", assignment_id=assignment_id, requester_id=requester_id)
            expired.append((assignment_id, worker_id, workteam_id))
    if expired:
        hint_assignments_expired(expired=[(worker_id, assignment_id) for assignment_id, worker_id, _ in expired])
        for workteam_id, freed in Counter(workteam_id for _, _, workteam_id in expired).items():
            hint_work_available(workteam_ids=[workteam_id], slots=freed)
    return [assignment_id for assignment_id, _, _ in expired]
