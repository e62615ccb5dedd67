"""Posting tasks (one, or up to 1,000 in a batch) and steering one task: add slots, close, stop.

``marketplace.inputs.tasks`` declares a ``POST /api/v1/tasks`` body and reads it into
``task_spec.TaskSpec``s; answers (a gold answer too) are checked in ``answer_validation``, and
the status rules of claims and submissions live in ``task_status``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..access import access_batch, access_targetable_workteam
from ..answer_schemas import validation_budget
from ..answer_validation import validate_answer
from ..errors import Conflict, InvalidInput, NotFound
from ..events import emit
from ..locking import lock_task
from ..models import Organization, Task
from ..models.tasks import MAX_SLOTS_PER_TASK
from ..realtime.hints import hint_work_available
from ..task_spec import TaskSpec
from .batches import CLOSABLE, batch_open, batch_tasks_create
from .escrow import escrow_sync
from .requirements import requirements_resolve
from .vendors import assignment_price
from .workteams import public_workforce


def _gold_answers_check(specs: list[TaskSpec]) -> None:
    """Each known answer checked like a worker's, against its task's type, schema and labels;
    ``InvalidInput`` names them (``gold_answer.label``, ``3.gold_answer.label`` in a list).
    Every check of the call spends one work budget (``answer_schemas.validation_budget``)."""
    fields: dict[str, list[str]] = {}
    with validation_budget():
        for index, spec in enumerate(specs):
            if spec.gold_answer is None:
                continue
            probe = Task(
                task_type=spec.task_type, answer_schema=spec.answer_schema, labels=spec.labels, input=spec.input
            )
            try:
                validate_answer(probe, spec.gold_answer)
            except InvalidInput as exc:
                prefix = f"{index}." if len(specs) > 1 else ""
                for path, messages in exc.fields.items():
                    fields.setdefault(f"{prefix}gold_answer{path[len('answer') :]}", []).extend(messages)
    if fields:
        first = next(iter(fields))
        raise InvalidInput(f"{first}: {fields[first][0]}", fields=fields)


T = TypeVar("T")


def _batch_value(specs: list[TaskSpec], field: str, *, default: T, named_batch: bool) -> T:
    """The one value of a batch-level field across the specs; a differing value is a 400.

    A task that leaves the field out takes ``default``: the named batch's value, or for a new
    batch the product default (so a task left on the public workforce beside one naming a
    private team is a conflict, not silently moved).
    """
    values = [default if getattr(spec, field) is None else getattr(spec, field) for spec in specs]
    expected = default if named_batch else values[0]
    for index, value in enumerate(values):
        if value != expected:
            path = f"{index}.{field}" if len(specs) > 1 else field
            reason = "differs from the named batch's" if named_batch else "must be the same for every task of one call"
            raise InvalidInput.for_field(path, reason)
    return expected


def tasks_post(*, requester: Organization, specs: list[TaskSpec], batch_id: int | None = None) -> list[Task]:
    """Create the tasks, all or nothing and in order, in the named batch or in a new one.

    A new batch takes the call's ``workteam_id`` (the public workforce when left out),
    ``auto_approval_delay_seconds`` (the default when left out), ``quality_rules``,
    ``auto_approval_policy`` and ``qualification_requirements``; every task must agree. The
    work's worst case is reserved in escrow, or ``InsufficientBalance`` (402) and nothing is made.
    Specs come validated (``marketplace.inputs.tasks``); gold answers are checked here, against
    their task types.
    """
    _gold_answers_check(specs)
    with transaction.atomic():
        if batch_id is not None:
            try:
                batch = access_batch(requester, batch_id)
            except NotFound:
                raise InvalidInput.for_field("batch_id", "no such batch") from None
            if batch.is_sealed:
                raise InvalidInput.for_field("batch_id", "is sealed (a labeling job's batch) and takes no more tasks")
            try:  # a vendor subscription may have ended since the batch was posted
                access_targetable_workteam(requester, batch.workteam_id)
            except NotFound:
                raise InvalidInput.for_field(
                    "batch_id",
                    "its workteam can no longer be given work (the vendor subscription ended, the "
                    "offering was withdrawn or the team was deactivated)",
                ) from None
            _batch_value(specs, "workteam_id", default=batch.workteam_id, named_batch=True)
            _batch_value(
                specs, "auto_approval_delay_seconds", default=batch.auto_approval_delay_seconds, named_batch=True
            )
            _batch_value(specs, "quality_rules", default=batch.quality_rules, named_batch=True)
            _batch_value(specs, "auto_approval_policy", default=batch.auto_approval_policy, named_batch=True)
            _batch_value(
                specs, "qualification_requirements", default=batch.qualification_requirements, named_batch=True
            )
        else:
            workteam_id = _batch_value(specs, "workteam_id", default=public_workforce().pk, named_batch=False)
            delay = _batch_value(
                specs,
                "auto_approval_delay_seconds",
                default=settings.GROUNDWORK["AUTO_APPROVAL_DELAY_SECONDS"],
                named_batch=False,
            )
            requirements: list[dict] = _batch_value(specs, "qualification_requirements", default=[], named_batch=False)
            try:
                workteam = access_targetable_workteam(requester, workteam_id)
            except NotFound:
                raise InvalidInput.for_field("workteam_id", "no such workteam") from None
            requirements = requirements_resolve(
                requester=requester, requirements=requirements, prefix="0." if len(specs) > 1 else ""
            )
            batch = batch_open(
                requester=requester,
                workteam=workteam,
                auto_approval_delay_seconds=delay,
                quality_rules=_batch_value(specs, "quality_rules", default={}, named_batch=False),
                auto_approval_policy=_batch_value(
                    specs, "auto_approval_policy", default="approve_all", named_batch=False
                ),
                qualification_requirements=requirements,
            )
        priced = [
            replace(
                spec,
                reward_micros=assignment_price(
                    spec.reward_micros,
                    batch.vendor_price_micros,
                    field=f"{index}.reward" if len(specs) > 1 else "reward",
                ),
            )
            for index, spec in enumerate(specs)
        ]
        created = batch_tasks_create(batch=batch, specs=priced)
    return created


def task_add_slots(*, task: Task, add: int) -> Task:
    """Add ``add`` slots (``add`` ≥ 1, as ``inputs.tasks.TaskAddSlots`` declares; to replace
    rejected work, or for dynamic redundancy).

    A full or complete task becomes open again (a held one stays held: it is not offered yet);
    an expired or stopped one refuses (409). The
    new slots are reserved in escrow, or ``InsufficientBalance`` (402) and nothing changes.
    Takes the task row lock.
    """
    with transaction.atomic():
        locked = lock_task(task.pk)
        if locked.status in (Task.Status.EXPIRED, Task.Status.STOPPED):
            raise Conflict(f"the task is {locked.status}", code="task_closed")
        if locked.slots + add > MAX_SLOTS_PER_TASK:
            raise InvalidInput.for_field(
                "add", f"a task has at most {MAX_SLOTS_PER_TASK} slots (it has {locked.slots})"
            )
        reopened = Task.Status.HELD if locked.status == Task.Status.HELD else Task.Status.OPEN
        Task.objects.filter(pk=task.pk).update(slots=F("slots") + add, status=reopened, closed_at=None)
        escrow_sync(task_ids=[task.pk])  # reserves for the new slots, or 402 and nothing changes
        locked.refresh_from_db()
        hint_work_available(workteam_ids=[locked.workteam_id], slots=add)
    return locked


def _close(task: Task, *, to_status: str, now: datetime) -> Task:
    with transaction.atomic():
        # Closing drops the task's growth headroom too: it will not be filled any further.
        updated = Task.objects.filter(pk=task.pk, status__in=CLOSABLE).update(
            status=to_status, closed_at=now, reserve_slots=0
        )
        escrow_sync(task_ids=[task.pk])  # slots that can no longer be filled give their reserve back
        task.refresh_from_db()
        if updated and to_status == Task.Status.COMPLETE:
            emit.tasks_changed("task.completed", task_ids=[task.pk], requester_ids=[task.requester_id])
    if not updated and task.status != to_status:
        raise Conflict(f"the task is already {task.status}", code="task_closed")
    return task


def task_close(*, task: Task) -> Task:
    """Close a task early as complete: no new assignments; live ones may still be submitted."""
    return _close(task, to_status=Task.Status.COMPLETE, now=timezone.now())


def task_stop(*, task: Task) -> Task:
    """Stop a task (idempotent): no new assignments; live ones may still be submitted until
    their deadlines, so stopping never throws away work in progress."""
    return _close(task, to_status=Task.Status.STOPPED, now=timezone.now())
