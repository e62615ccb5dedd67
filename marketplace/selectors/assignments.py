"""Reads of assignments: the lists the requester and worker APIs page through, and which of a
socket's held assignments ended (what the realtime dispatcher tells the worker about)."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Assignment, Organization, Worker


def ended_assignments(assignment_ids: list[int]) -> dict[int, str]:
    """Of these assignments, the ones no longer live, with their status."""
    return dict(
        Assignment.objects.filter(pk__in=assignment_ids)
        .exclude(status=Assignment.Status.ACCEPTED)
        .values_list("pk", "status")
    )


def requester_assignments(
    requester: Organization,
    *,
    task_id: int | None = None,
    batch_id: int | None = None,
    status: str | None = None,
    flagged: bool | None = None,
) -> QuerySet[Assignment]:
    """Assignments on the requester's tasks (of ``task_id``, of ``batch_id``, in ``status``, and
    flagged for review or not, each when given), unordered: a paginated list orders them."""
    queryset = Assignment.objects.filter(task__requester=requester)
    if task_id is not None:
        queryset = queryset.filter(task_id=task_id)
    if batch_id is not None:
        queryset = queryset.filter(task__batch_id=batch_id)
    if status:
        queryset = queryset.filter(status=status)
    if flagged is not None:
        queryset = queryset.exclude(flagged_reason="") if flagged else queryset.filter(flagged_reason="")
    return queryset


def worker_assignments(worker: Worker, *, status: str | None = None) -> QuerySet[Assignment]:
    """The worker's assignments with their tasks (in ``status`` when given), unordered: a
    paginated list orders them."""
    queryset = Assignment.objects.select_related("task").filter(worker=worker)
    if status:
        queryset = queryset.filter(status=status)
    return queryset
