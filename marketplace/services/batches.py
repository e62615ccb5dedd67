"""Batch-level services another app builds on (a labeling job posts and steers one batch).

Everything here is bulk and compare-and-set: a job of 100,000 tasks is posted in a few bulk
inserts, and closing or re-opening tasks repeats the status predicate it selected on, so it
composes with concurrent claims, submits and sweeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from ..bulk import bulk_insert
from ..models import Assignment, Batch, Organization, RequesterDispatchState, Task, Workteam
from ..models.tasks import MAX_SLOTS_PER_TASK
from ..realtime.hints import hint_work_available
from .tasks import TaskSpec

CLOSABLE = (Task.Status.OPEN, Task.Status.FULL)


def batch_open(
    *, requester: Organization, workteam: Workteam, auto_approval_delay_seconds: int, is_sealed: bool = False,
    qualification_requirements: list[dict] | None = None,
) -> Batch:
    """A new, empty batch. The caller has checked that ``workteam`` is one the requester may
    target (``access_targetable_workteam``) and resolved the ``qualification_requirements``
    (``requirements.requirements_resolve``). A sealed batch takes no tasks from the tasks API:
    the service that opened it (a labeling job) adds them all."""
    RequesterDispatchState.objects.get_or_create(requester=requester)
    return Batch.objects.create(
        requester=requester, workteam=workteam, auto_approval_delay_seconds=auto_approval_delay_seconds,
        is_sealed=is_sealed, qualification_requirements=qualification_requirements or [],
        has_requirements=bool(qualification_requirements),
    )


def batch_tasks_create(*, batch: Batch, specs: Iterable[TaskSpec]) -> list[Task]:
    """Insert tasks for validated specs into ``batch`` in order (their ids ascend in that
    order, so they are offered in it) and hint the batch's workteam after commit.

    The specs' ``workteam_id`` and ``auto_approval_delay_seconds`` are ignored: they are the
    batch's. Call inside the transaction that makes the batch visible, for all or nothing.
    """
    now = timezone.now()
    tasks = [
        Task(
            batch=batch, requester_id=batch.requester_id, workteam_id=batch.workteam_id, title=spec.title,
            description=spec.description, task_type=spec.task_type, input=spec.input,
            answer_schema=spec.answer_schema, labels=spec.labels, instructions=spec.instructions,
            slots=spec.slots, reward_micros=spec.reward_micros,
            assignment_duration_seconds=spec.assignment_duration_seconds,
            lifetime_seconds=spec.lifetime_seconds,
            expires_at=now + timedelta(seconds=spec.lifetime_seconds), priority=spec.priority,
        )
        for spec in specs
    ]
    created = bulk_insert(tasks)
    hint_work_available(workteam_ids=[batch.workteam_id], slots=sum(task.slots for task in created))
    return created


def tasks_close_early(*, batch: Batch, task_ids: Iterable[int]) -> int:
    """Close open or full tasks of ``batch`` as complete (enough answers already); live
    assignments on them may still be submitted. Returns how many this call closed."""
    ids = list(task_ids)
    if not ids:
        return 0
    return Task.objects.filter(batch=batch, pk__in=ids, status__in=CLOSABLE).update(
        status=Task.Status.COMPLETE, closed_at=timezone.now()
    )


def tasks_add_slot(*, batch: Batch, task_ids: Iterable[int], up_to: int) -> list[int]:
    """Give each listed task of ``batch`` one more slot, if it has fewer than ``up_to``
    (at most 50) and is not expired or stopped; a complete task opens again. Returns the ids
    that got a slot."""
    ids = list(task_ids)
    if not ids:
        return []
    limit = min(up_to, MAX_SLOTS_PER_TASK)
    with transaction.atomic():
        eligible = Q(batch=batch, pk__in=ids, slots__lt=limit,
                     status__in=[Task.Status.OPEN, Task.Status.FULL, Task.Status.COMPLETE])
        grown = list(
            Task.objects.filter(eligible).order_by("id").select_for_update(no_key=True).values_list("pk", flat=True)
        )
        Task.objects.filter(eligible, pk__in=grown).update(
            slots=F("slots") + 1, status=Task.Status.OPEN, closed_at=None
        )
        hint_work_available(workteam_ids=[batch.workteam_id], slots=len(grown))
    return grown


def batch_stop(*, batch: Batch) -> int:
    """Stop every open or full task of the batch: no new assignments; live ones may still be
    submitted until their deadlines. Safe to repeat. Returns how many tasks this call stopped."""
    return Task.objects.filter(batch=batch, status__in=CLOSABLE).update(
        status=Task.Status.STOPPED, closed_at=timezone.now()
    )


def batch_progress(*, batch: Batch) -> dict[str, int]:
    """``answers`` (submitted or settled), ``live`` (accepted assignments) and ``open_tasks``
    (tasks still taking assignments) of a batch, in one query each."""
    answers = Task.objects.filter(batch=batch).aggregate(total=Sum("slots_submitted"))["total"] or 0
    live = Assignment.objects.filter(task__batch=batch, status=Assignment.Status.ACCEPTED).count()
    open_tasks = Task.objects.filter(batch=batch, status__in=CLOSABLE).aggregate(n=Count("id"))["n"]
    return {"answers": int(answers), "live": live, "open_tasks": open_tasks}
