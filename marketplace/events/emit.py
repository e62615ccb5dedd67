"""The marketplace's events, recorded by the services that cause them (inside their
transactions): the object in ``data`` exactly as its ``GET`` renders it, built only when some
endpoint of the organization listens (``outbox.wants_event``), so an unsubscribed organization
pays no query and no serialization on the claim and submit path.

Ordering keys: ``task:<id>`` and ``assignment:<id>`` (each object's events in order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import F

from ..api.serializers.appeals import AppealSerializer
from ..api.serializers.assignments import AssignmentSerializer
from ..api.serializers.tasks import TaskDetailSerializer
from ..models import Appeal, Assignment, Task
from .outbox import record_event, wants_event


def task_representation(task: Task) -> dict:
    """A task as ``GET /api/v1/tasks/{id}`` returns it (with its assignments)."""
    task.ordered_assignments = task.assignments.order_by("id")  # type: ignore[attr-defined]
    return dict(TaskDetailSerializer(task).data)


def assignment_representation(assignment: Assignment) -> dict:
    """An assignment as the requester's ``GET /api/v1/assignments`` returns it."""
    return dict(AssignmentSerializer(assignment).data)


def assignments_changed(event_type: str, assignments: Sequence[Assignment]) -> None:
    """Record ``event_type`` for each of these assignments (their ``task`` loaded, their new
    state set on the instances)."""
    for assignment in assignments:
        requester_id = assignment.task.requester_id
        if wants_event(requester_id, event_type):
            record_event(
                organization_id=requester_id,
                event_type=event_type,
                data=assignment_representation(assignment),
                ordering_key=f"assignment:{assignment.pk}",
            )


def assignment_changed_by_id(event_type: str, *, assignment_id: int, requester_id: int) -> None:
    """``assignments_changed`` for an assignment updated in SQL (read back only when wanted)."""
    if wants_event(requester_id, event_type):
        assignment = Assignment.objects.get(pk=assignment_id)
        record_event(
            organization_id=requester_id,
            event_type=event_type,
            data=assignment_representation(assignment),
            ordering_key=f"assignment:{assignment.pk}",
        )


def appeal_changed(event_type: str, appeal: Appeal) -> None:
    """Record ``appeal.created`` or ``appeal.decided``: the appeal as ``GET /api/v1/appeals/{id}``
    returns it (its ``assignment`` and task loaded, its new state set on the instance)."""
    record_event(
        organization_id=appeal.requester_id,
        event_type=event_type,
        data=lambda: AppealSerializer(appeal).data,
        ordering_key=f"appeal:{appeal.pk}",
    )


def tasks_changed(event_type: str, *, task_ids: Iterable[int], requester_ids: Iterable[int] | None = None) -> None:
    """Record ``event_type`` for each of these tasks, read back after the change. With
    ``requester_ids`` (the requesters the tasks may belong to) nothing is read when none of
    them listens."""
    ids = list(task_ids)
    if not ids:
        return
    if requester_ids is not None:
        listening = [r for r in set(requester_ids) if wants_event(r, event_type)]
    else:
        owners = set(Task.objects.filter(pk__in=ids).values_list("requester_id", flat=True))
        listening = [r for r in owners if wants_event(r, event_type)]
    if not listening:
        return
    for task in Task.objects.select_related("batch").filter(pk__in=ids, requester_id__in=listening).order_by("id"):
        _record_task(event_type, task)


def tasks_completed_by_submission(*, task_ids: Iterable[int], requester_ids: Iterable[int]) -> None:
    """``task.completed`` for those of these tasks that the submissions just written completed:
    complete with every slot submitted and not closed early (closing sets ``closed_at`` and
    records its own event). Called after the submit's UPDATE, under its lock."""
    listening = [r for r in set(requester_ids) if wants_event(r, "task.completed")]
    if not listening:
        return
    completed = Task.objects.select_related("batch").filter(
        pk__in=list(task_ids),
        requester_id__in=listening,
        status=Task.Status.COMPLETE,
        closed_at__isnull=True,
        slots_submitted=F("slots"),
    )
    for task in completed.order_by("id"):
        _record_task("task.completed", task)


def _record_task(event_type: str, task: Task) -> None:
    record_event(
        organization_id=task.requester_id,
        event_type=event_type,
        data=task_representation(task),
        ordering_key=f"task:{task.pk}",
    )
