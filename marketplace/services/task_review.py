"""A requester's handling of a task after posting, as Mechanical Turk's HIT operations need it:
moving its expiry (UpdateExpirationForHIT), marking it under review (UpdateHITReviewStatus) and
disposing of it (DeleteHIT). Each takes the task row lock (``locking.lock_task``) and changes
nothing else the marketplace counts: dispatch, slots and escrow follow the task's status as
always (an expiry in the past stops the task through ``task_stop``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..errors import Conflict, InvalidInput
from ..locking import lock_task
from ..models import Assignment, Task
from ..task_spec import LIFETIME_RANGE
from .tasks import task_stop

# Tasks that still take work (held ones will, once released).
LIVE_STATUSES = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)


def task_is_reviewable(task: Task, *, pending: int) -> bool:
    """Whether the task takes no more work and holds no live assignment (``pending`` of them):
    what MTurk calls Reviewable (or Reviewing once marked)."""
    return task.status not in LIVE_STATUSES and pending == 0


def task_expiry_set(*, task: Task, expires_at: datetime) -> Task:
    """Move a live task's expiry. A moment not in the future stops the task now (no new
    assignments; live ones may still be submitted, as always); a later one keeps it open until
    then, within a year of its creation. An expired or stopped task cannot be reopened:
    ``Conflict(task_closed)``, unless the new moment is in the past too (nothing to do)."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_task(task.pk)
        if expires_at <= now:
            return locked if locked.status not in LIVE_STATUSES else task_stop(task=locked)
        if locked.status not in LIVE_STATUSES:
            raise Conflict(f"the task is {locked.status}: it cannot be opened again", code="task_closed")
        latest = locked.created_at + timedelta(seconds=LIFETIME_RANGE[1])
        if expires_at > latest:
            raise InvalidInput.for_field(
                "expires_at", f"must be at most a year after the task was created ({latest:%Y-%m-%d})"
            )
        lifetime = max(LIFETIME_RANGE[0], int((expires_at - locked.created_at).total_seconds()))
        Task.objects.filter(pk=locked.pk).update(expires_at=expires_at, lifetime_seconds=lifetime)
        locked.refresh_from_db()
    return locked


def task_review_mark(*, task: Task, under_review: bool) -> Task:
    """Mark a reviewable task as under review, or back (idempotent). A task still taking work
    or holding live assignments is ``Conflict(task_not_reviewable)``."""
    with transaction.atomic():
        locked = lock_task(task.pk)
        pending = Assignment.objects.filter(task=locked, status=Assignment.Status.ACCEPTED).count()
        if not task_is_reviewable(locked, pending=pending):
            raise Conflict("the task still takes work or has assignments in progress", code="task_not_reviewable")
        if locked.is_under_review != under_review:
            Task.objects.filter(pk=locked.pk).update(is_under_review=under_review)
            locked.is_under_review = under_review
    return locked


def task_dispose(*, task: Task) -> Task:
    """Dispose of a task (idempotent): it leaves the requester's lists, kept for the ledger.

    Allowed when no assignment is in progress or waiting for review (every submitted one was
    approved or rejected), else ``Conflict(task_not_disposable)``. A task still open (with no
    assignment at all) is stopped first, which gives its reserve back.
    """
    with transaction.atomic():
        locked = lock_task(task.pk)
        if locked.disposed_at is not None:
            return locked
        unsettled = Assignment.objects.filter(
            task=locked, status__in=[Assignment.Status.ACCEPTED, Assignment.Status.SUBMITTED]
        ).exists()
        if unsettled:
            raise Conflict("the task has assignments in progress or waiting for approval", code="task_not_disposable")
        if locked.status in LIVE_STATUSES:
            locked = task_stop(task=locked)
        Task.objects.filter(pk=locked.pk).update(disposed_at=timezone.now())
        locked.refresh_from_db()
    return locked
