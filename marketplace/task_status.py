"""How a task's status follows its slots, as SQL expressions for the compare-and-set updates
of the claim, submit, return and expiry paths (DESIGN.md "State machines").

open → full when the claim takes its last free slot; full → open when a slot is released (a
return or an expiry); open or full → complete when every slot is submitted. Expired, stopped
and complete tasks are left as they are; so are held ones (no assignment reaches a task before
``services.batches.tasks_release`` opens it).
"""

from __future__ import annotations

from django.db.models import Case, F, Value, When

from .models import Task


def status_after_claim(slots: int = 1) -> Case:
    """A task's status once ``slots`` more of its slots are used: full when none is left."""
    return Case(
        When(slots_used__gte=F("slots") - slots, status=Task.Status.OPEN, then=Value(Task.Status.FULL)),
        default=F("status"),
    )


def status_after_submit(slots: int = 1) -> Case:
    """A task's status once ``slots`` more of its slots are submitted: complete when all are."""
    return Case(
        When(
            slots_submitted__gte=F("slots") - slots,
            status__in=[Task.Status.OPEN, Task.Status.FULL],
            then=Value(Task.Status.COMPLETE),
        ),
        default=F("status"),
    )


STATUS_AFTER_RELEASE = Case(When(status=Task.Status.FULL, then=Value(Task.Status.OPEN)), default=F("status"))
