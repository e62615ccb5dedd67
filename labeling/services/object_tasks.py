"""A job's data objects as marketplace tasks: the task each object is posted as, and how many
of a streaming job's objects are out with workers at once (``max_concurrent_task_count``; the
others wait ``held``, CONTRACTS.md §2, and are released in object order)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q

from marketplace.bulk import bulk_insert
from marketplace.models import Task, TaskWorkerExclusion
from marketplace.services.batches import tasks_release
from marketplace.task_spec import TaskSpec

from ..models import LabelingJob
from ..task_types import TaskType
from ..task_types.registration import TEMPLATE_MARKER


def object_task_spec(
    job: LabelingJob, task_type: TaskType, schema: dict, task_input: dict, gold_answer: dict | None = None
) -> TaskSpec:
    """The task one data object of ``job`` is posted as (``schema``: the task type's answer
    schema for the job's labels, computed once by the caller)."""
    if job.template:  # shown in the console through the job's template (docs/templates.md)
        task_input = {**task_input, TEMPLATE_MARKER: True}
    return TaskSpec(
        title=job.title,
        description=job.description,
        task_type=task_type.name,
        input=task_input,
        # Task type custom: the requester's schema of an answer, if the job gave one.
        answer_schema=schema if job.answer_schema is None else job.answer_schema,
        labels=job.label_categories,
        instructions=job.instructions,
        slots=job.workers_per_object,
        reward_micros=job.reward_micros,
        assignment_duration_seconds=job.task_time_limit_seconds,
        lifetime_seconds=job.task_availability_lifetime_seconds,
        priority=job.priority,
        workteam_id=None,
        auto_approval_delay_seconds=None,
        gold_answer=gold_answer,
        reserve_slots=job.max_workers_per_object,
    )


def objects_out(job: LabelingJob) -> int:
    """How many of the job's objects are out with workers: tasks open or full, and closed ones
    still holding a live assignment (``slots_used`` counts live, submitted and settled ones,
    ``slots_submitted`` the last two)."""
    out = Q(status__in=[Task.Status.OPEN, Task.Status.FULL]) | Q(slots_used__gt=F("slots_submitted"))
    return Task.objects.filter(out, batch=job.posted_batch).count()


def release_held(job: LabelingJob) -> list[int]:
    """Release the job's first held tasks (in object order: task ids ascend with it) while
    fewer than ``max_concurrent_task_count`` objects are out. Call inside a transaction holding
    the job row (``locked_steering_job``), so two callers never both fill the same room; the
    tasks are locked after it (``tasks_release``). Returns the ids released."""
    if job.batch_id is None or job.max_concurrent_task_count is None:
        return []
    room = job.max_concurrent_task_count - objects_out(job)
    if room <= 0:
        return []
    held = Task.objects.filter(batch=job.posted_batch, status=Task.Status.HELD).order_by("id")
    return tasks_release(batch=job.posted_batch, task_ids=list(held.values_list("pk", flat=True)[:room]))


def tasks_exclude_workers(tasks: Sequence[Task], worker_ids: Sequence[frozenset[int]]) -> None:
    """Bar ``worker_ids[i]`` from ``tasks[i]`` for good (a review task never goes to the
    workers whose annotation it reviews: ``TaskWorkerExclusion``). Call in the transaction that
    creates the tasks, so no claim sees a task before its exclusions."""
    bulk_insert(
        [
            TaskWorkerExclusion(task=task, worker_id=worker_id)
            for task, excluded in zip(tasks, worker_ids, strict=True)
            for worker_id in sorted(excluded)
        ]
    )
