"""Steering a batch's tasks after posting, for the service above that owns the batch (a
labeling job's automated labeling): open again tasks it closed early before anyone took them,
and order its open work by priority.

Both are compare-and-set on the task rows and compose with claims, submits and sweeps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..locking import lock_tasks
from ..models import Batch, Task
from ..realtime.hints import hint_work_available
from .escrow import escrow_sync

PRIORITIZABLE = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)


def tasks_reopen(*, batch: Batch, task_ids: Iterable[int]) -> list[int]:
    """Offer again tasks of ``batch`` that were closed early (``complete``) before any worker
    took one of their slots: each is ``open`` with its slots, its lifetime starting now, and its
    reserve taken again (``escrow_sync``: its slots at price plus fee). Tasks that are not
    complete, or had an assignment, are left alone. Returns the ids reopened, ascending.

    Raises ``InsufficientBalance`` (402) when the requester's balance cannot cover them: then
    none reopens (the caller's transaction rolls back). Locks the tasks (rank 4, id order; a
    caller steering the batch holds its job first), then the accounts; hints the workteam after
    commit."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    now = timezone.now()
    with transaction.atomic():
        closed_unworked = Task.objects.filter(batch=batch, pk__in=ids, status=Task.Status.COMPLETE, slots_used=0)
        reopened = lock_tasks(closed_unworked)
        rows = list(Task.objects.filter(pk__in=reopened).values_list("lifetime_seconds", "slots"))
        for lifetime in {lifetime for lifetime, _ in rows}:
            closed_unworked.filter(pk__in=reopened, lifetime_seconds=lifetime).update(
                status=Task.Status.OPEN,
                closed_at=None,
                reserve_slots=F("slots"),
                expires_at=now + timedelta(seconds=lifetime),
            )
        escrow_sync(task_ids=reopened)
        hint_work_available(workteam_ids=[batch.workteam_id], slots=sum(slots for _, slots in rows))
    return reopened


def tasks_prioritize(*, batch: Batch, priorities: Mapping[int, int]) -> int:
    """Set the priority (0-100) of these tasks of ``batch`` that still wait for workers (open,
    full or held): claims hand out higher priorities first. Other tasks are left alone; no
    money moves. Returns how many rows changed."""
    by_priority: dict[int, list[int]] = defaultdict(list)
    for task_id, priority in priorities.items():
        by_priority[min(max(int(priority), 0), 100)].append(task_id)
    changed = 0
    for priority, ids in sorted(by_priority.items()):
        changed += (
            Task.objects.filter(batch=batch, pk__in=ids, status__in=PRIORITIZABLE)
            .exclude(priority=priority)
            .update(priority=priority)
        )
    return changed
