"""Posting tasks (one, or up to 1,000 in a batch) and steering one task: add slots, close, stop.

``parse_task_spec`` reads a ``POST /api/v1/tasks`` body into ``task_spec.TaskSpec``s; answers
are checked in ``answer_validation``, and the status rules of claims and submissions live in
``task_status``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..access import access_batch, access_targetable_workteam
from ..answer_schemas import answer_schema_problems, validation_budget
from ..errors import Conflict, InvalidInput, NotFound
from ..locking import lock_task
from ..models import Organization, Task
from ..models.tasks import MAX_SLOTS_PER_TASK
from ..questions import question_task_fields
from ..realtime.hints import hint_work_available
from ..task_spec import (
    ASSIGNMENT_DURATION_RANGE,
    AUTO_APPROVAL_DELAY_RANGE,
    LIFETIME_RANGE,
    PRIORITY_RANGE,
    TaskSpec,
)
from ..validation import FieldErrors, int_in_range, optional_amount_micros, text_field
from . import quality
from .batches import batch_open, batch_tasks_create
from .escrow import escrow_sync
from .requirements import parse_requirements, requirements_resolve
from .vendors import assignment_price
from .workteams import public_workforce

MAX_TASKS_PER_CALL = 1000
TASK_FIELDS = {
    "title",
    "description",
    "task_type",
    "input",
    "answer_schema",
    "labels",
    "instructions",
    "slots",
    "reward",
    "assignment_duration_seconds",
    "lifetime_seconds",
    "auto_approval_delay_seconds",
    "priority",
    "workteam_id",
    "batch_id",
    "gold_answer",
    "quality_rules",
    "auto_approval_policy",
    "qualification_requirements",
}


def parse_task_spec(data: object, *, prefix: str = "") -> TaskSpec:
    """Validate one task as given to ``POST /api/v1/tasks``; raises ``InvalidInput`` naming every
    bad field under ``prefix`` (``"3."`` for the fourth task of a list)."""
    if not isinstance(data, dict):
        raise InvalidInput.for_field(prefix.rstrip(".") or "non_field_errors", "must be a JSON object")
    errors = FieldErrors(prefix)
    for unknown in sorted(set(data) - TASK_FIELDS):
        errors.add(unknown, "is not a known field")
    defaults = settings.GROUNDWORK
    title = text_field(data, "title", errors, required=True, max_length=200)
    description = text_field(data, "description", errors, required=False, max_length=10_000)
    instructions = text_field(data, "instructions", errors, required=False, max_length=100_000)
    task_type = data.get("task_type", Task.TaskType.CUSTOM)
    if task_type not in Task.TaskType.values:
        errors.add("task_type", f"must be one of {', '.join(Task.TaskType.values)}")
    task_input = data.get("input", {})
    answer_schema = data.get("answer_schema")
    if answer_schema is not None:
        for path, problem in answer_schema_problems(answer_schema).items():
            errors.add(path, problem)
    if task_type == Task.TaskType.MTURK_QUESTION:  # the input is a Question's XML, checked and shown
        task_input, answer_schema = question_task_fields(data, errors)
    labels = data.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        errors.add("labels", "must be a list of non-empty strings")
        labels = []
    elif len(set(labels)) != len(labels):
        errors.add("labels", "must not repeat a label")
    slots = int_in_range(data, "slots", 1, (1, MAX_SLOTS_PER_TASK), errors)
    reward_micros = optional_amount_micros(data, "reward", errors)
    if reward_micros is None and data.get("workteam_id") is None and data.get("batch_id") is None:
        errors.add("reward", "is required")  # the public workforce: no offering price
    duration = int_in_range(
        data, "assignment_duration_seconds", defaults["ASSIGNMENT_DURATION_SECONDS"], ASSIGNMENT_DURATION_RANGE, errors
    )
    lifetime = int_in_range(data, "lifetime_seconds", defaults["TASK_LIFETIME_SECONDS"], LIFETIME_RANGE, errors)
    priority = int_in_range(data, "priority", 0, PRIORITY_RANGE, errors)
    delay = int_in_range(data, "auto_approval_delay_seconds", None, AUTO_APPROVAL_DELAY_RANGE, errors)
    workteam_id = data.get("workteam_id")
    if workteam_id is not None and (isinstance(workteam_id, bool) or not isinstance(workteam_id, int)):
        errors.add("workteam_id", "must be an integer")
    batch_id = data.get("batch_id")
    if batch_id is not None and (isinstance(batch_id, bool) or not isinstance(batch_id, int)):
        errors.add("batch_id", "must be an integer")
    probe = Task(task_type=task_type, answer_schema=answer_schema, labels=labels, input=task_input)
    # A gold answer is checked like a worker's, so only against a usable type, schema and labels.
    usable = not {f"{prefix}{field}" for field in ("task_type", "answer_schema", "labels")} & set(errors.errors)
    gold_answer = quality.parse_gold_answer(data, errors, probe=probe) if usable else None
    quality_rules = quality.parse_quality_rules(data, errors)
    policy = quality.parse_auto_approval_policy(data, errors)
    requirements = parse_requirements(data, errors)
    errors.raise_if_any()
    return TaskSpec(
        title=title,
        description=description,
        task_type=task_type,
        input=task_input,
        answer_schema=answer_schema,
        labels=labels,
        instructions=instructions,
        slots=slots or 1,
        reward_micros=reward_micros,
        assignment_duration_seconds=duration or 0,
        lifetime_seconds=lifetime or 0,
        priority=priority or 0,
        workteam_id=workteam_id,
        auto_approval_delay_seconds=delay,
        gold_answer=gold_answer,
        quality_rules=quality_rules,
        auto_approval_policy=policy,
        qualification_requirements=requirements,
    )


def parse_task_specs(payload: object) -> tuple[list[TaskSpec], object]:
    """Parse one task (an object) or up to 1,000 (a list); returns the specs and the ``batch_id``
    named in the payload (which must be the same across a list). Every schema and gold answer
    of the call is checked within one work budget (``answer_schemas.validation_budget``)."""
    with validation_budget():
        return _parse_task_specs(payload)


def _parse_task_specs(payload: object) -> tuple[list[TaskSpec], object]:
    if isinstance(payload, dict):
        return [parse_task_spec(payload)], payload.get("batch_id")
    if not isinstance(payload, list):
        raise InvalidInput.for_field("non_field_errors", "the body must be a task object or a list of them")
    if not payload:
        raise InvalidInput.for_field("non_field_errors", "the list of tasks must hold at least one task")
    if len(payload) > MAX_TASKS_PER_CALL:
        raise InvalidInput.for_field("non_field_errors", f"at most {MAX_TASKS_PER_CALL} tasks per call")
    specs: list[TaskSpec] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(payload):
        try:
            specs.append(parse_task_spec(item, prefix=f"{index}."))
        except InvalidInput as exc:
            errors.update(exc.fields)
    batch_ids = [(index, item.get("batch_id")) for index, item in enumerate(payload) if isinstance(item, dict)]
    for index, batch_id in batch_ids:
        if batch_id != batch_ids[0][1]:
            errors.setdefault(f"{index}.batch_id", []).append("must be the same for every task of one call")
    if errors:
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", fields=errors)
    return specs, batch_ids[0][1]


def _batch_value(specs: list[TaskSpec], field: str, *, default: object, named_batch: bool) -> object:
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


def tasks_post(*, requester: Organization, specs: list[TaskSpec], batch_id: object = None) -> list[Task]:
    """Create the tasks, all or nothing and in order, in the named batch or in a new one.

    A new batch takes the call's ``workteam_id`` (the public workforce when left out),
    ``auto_approval_delay_seconds`` (the default when left out), ``quality_rules``,
    ``auto_approval_policy`` and ``qualification_requirements``; every task must agree. The
    work's worst case is reserved in escrow, or ``InsufficientBalance`` (402) and nothing is made.
    """
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
            requirements = _batch_value(specs, "qualification_requirements", default=[], named_batch=False)
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
    """Add ``add`` slots (to replace rejected work, or for dynamic redundancy).

    A full or complete task becomes open again; an expired or stopped one refuses (409). The
    new slots are reserved in escrow, or ``InsufficientBalance`` (402) and nothing changes.
    Takes the task row lock.
    """
    if isinstance(add, bool) or not isinstance(add, int) or add < 1:
        raise InvalidInput.for_field("add", "must be a positive integer")
    with transaction.atomic():
        locked = lock_task(task.pk)
        if locked.status in (Task.Status.EXPIRED, Task.Status.STOPPED):
            raise Conflict(f"the task is {locked.status}", code="task_closed")
        if locked.slots + add > MAX_SLOTS_PER_TASK:
            raise InvalidInput.for_field(
                "add", f"a task has at most {MAX_SLOTS_PER_TASK} slots (it has {locked.slots})"
            )
        Task.objects.filter(pk=task.pk).update(slots=F("slots") + add, status=Task.Status.OPEN, closed_at=None)
        escrow_sync(task_ids=[task.pk])  # reserves for the new slots, or 402 and nothing changes
        locked.refresh_from_db()
        hint_work_available(workteam_ids=[locked.workteam_id], slots=add)
    return locked


def _close(task: Task, *, to_status: str, now: datetime) -> Task:
    with transaction.atomic():
        # Closing drops the task's growth headroom too: it will not be filled any further.
        updated = Task.objects.filter(pk=task.pk, status__in=[Task.Status.OPEN, Task.Status.FULL]).update(
            status=to_status, closed_at=now, reserve_slots=0
        )
        escrow_sync(task_ids=[task.pk])  # slots that can no longer be filled give their reserve back
        task.refresh_from_db()
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
