"""Reads of tasks (HITs): the lists the requester API pages through, and which workteams have
open work (what the realtime dispatcher wakes waiting workers for)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Organization, Task


def workteams_with_open_work(workteam_ids: list[int]) -> set[int]:
    """Those of ``workteam_ids`` with an open, unexpired task now (one small query each, through
    the open-task index: the dispatcher asks about the few workteams its sockets wait on)."""
    now = timezone.now()
    return {
        workteam_id
        for workteam_id in workteam_ids
        if Task.objects.filter(workteam_id=workteam_id, status=Task.Status.OPEN, expires_at__gt=now).exists()
    }


def requester_tasks(
    requester: Organization, *, batch_id: int | None = None, status: str | None = None
) -> QuerySet[Task]:
    """The requester's tasks with their batches (of ``batch_id`` and in ``status`` when given),
    unordered: a paginated list orders them."""
    queryset = Task.objects.select_related("batch").filter(requester=requester)
    if batch_id is not None:
        queryset = queryset.filter(batch_id=batch_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset
