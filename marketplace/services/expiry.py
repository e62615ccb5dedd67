"""Freeing slots: assignments that end without an answer (returned or expired)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F

from ..models import Assignment, Task
from .tasks import STATUS_AFTER_RELEASE


def release_slot(task_id: int) -> None:
    """Give back one used slot of a task (a full task becomes open again)."""
    Task.objects.filter(pk=task_id).update(slots_used=F("slots_used") - 1, status=STATUS_AFTER_RELEASE)


def assignments_expire(*, assignment_ids: Iterable[int], now: datetime) -> list[int]:
    """Expire those of the given assignments that are still accepted and overdue at ``now``.

    Each is a compare-and-set in its own short transaction (assignment row, then its task),
    safe to run twice or concurrently with submits and other sweeps: an assignment submitted in
    between is left alone. Returns the ids this call expired.
    """
    expired: list[int] = []
    for assignment_id in assignment_ids:
        with transaction.atomic():
            task_ids = list(
                Assignment.objects.select_for_update(no_key=True)
                .filter(pk=assignment_id, status=Assignment.Status.ACCEPTED, deadline__lte=now)
                .values_list("task_id", flat=True)
            )
            if not task_ids:
                continue
            changed = Assignment.objects.filter(pk=assignment_id, status=Assignment.Status.ACCEPTED).update(
                status=Assignment.Status.EXPIRED, expired_at=now
            )
            if changed:
                release_slot(task_ids[0])
                expired.append(assignment_id)
    return expired
