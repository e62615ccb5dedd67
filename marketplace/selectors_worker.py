"""Reads for a worker's own pages (the worker API's ``me`` and available work; the console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Max, Min, OuterRef, Subquery, Sum
from django.utils import timezone

from .models import Assignment, Task, Worker, Workteam
from .services import dispatch


@dataclass(frozen=True)
class PendingEarnings:
    """Submitted work not yet approved that would pay this worker (not a vendor: on a vendor
    workteam the vendor is paid), and when automatic approval settles it at the latest."""

    amount_micros: int
    next_auto_approval_at: datetime | None
    last_auto_approval_at: datetime | None


def worker_pending_earnings(worker: Worker) -> PendingEarnings:
    row = (
        Assignment.objects.filter(worker=worker, status=Assignment.Status.SUBMITTED)
        .exclude(task__workteam__kind=Workteam.Kind.VENDOR)
        .aggregate(amount=Sum("task__reward_micros"), first=Min("auto_approve_at"), last=Max("auto_approve_at"))
    )
    return PendingEarnings(
        amount_micros=row["amount"] or 0, next_auto_approval_at=row["first"], last_auto_approval_at=row["last"]
    )


@dataclass(frozen=True)
class AvailableWork:
    """Open tasks this worker may take now, of one workteam and one requester; ``title``,
    ``reward_micros``, ``task_type`` and ``assignment_duration_seconds`` are those of the task
    a claim would hand out first (highest priority, then oldest)."""

    workteam_id: int
    workteam_name: str
    workteam_kind: str
    requester_id: int
    requester_name: str
    open_tasks: int
    title: str
    task_type: str
    reward_micros: int
    assignment_duration_seconds: int


def worker_available_work(worker: Worker, *, limit: int = 100, now: datetime | None = None) -> list[AvailableWork]:
    """Work available to ``worker`` now, per workteam and requester, by the dispatch's own
    eligibility rule (``dispatch.Eligibility``: memberships, blocks, qualification
    requirements, quality stops; tasks it held before left out). The groups with the most
    open tasks first, at most ``limit``. A vendor team's capacity is not counted here: it is
    checked when a task is claimed."""
    now = now or timezone.now()
    eligibility = dispatch.eligibilities(workers=[worker], workteam_ids=dispatch.workteam_ids_of([worker.pk]), now=now)[
        worker.pk
    ]
    if not eligibility.workteam_ids:
        return []
    eligible = eligibility.open_tasks(now).exclude(
        Exists(Assignment.objects.filter(task=OuterRef("pk"), worker=worker))
    )
    first = eligible.filter(workteam_id=OuterRef("workteam_id"), requester_id=OuterRef("requester_id")).order_by(
        "-priority", "id"
    )
    groups = list(
        eligible.order_by()
        .values("workteam_id", "requester_id")
        .annotate(open_tasks=Count("id"), first_id=Subquery(first.values("pk")[:1]))
        .order_by("-open_tasks", "workteam_id", "requester_id")[:limit]
    )
    firsts = Task.objects.select_related("workteam", "requester").in_bulk([g["first_id"] for g in groups])
    result = []
    for group in groups:
        task = firsts[group["first_id"]]
        result.append(
            AvailableWork(
                workteam_id=task.workteam_id,
                workteam_name=task.workteam.name,
                workteam_kind=task.workteam.kind,
                requester_id=task.requester_id,
                requester_name=task.requester.name,
                open_tasks=group["open_tasks"],
                title=task.title,
                task_type=task.task_type,
                reward_micros=task.reward_micros,
                assignment_duration_seconds=task.assignment_duration_seconds,
            )
        )
    return result
