"""Reads about workers: a worker's own pages (the worker API's ``me``, its live work and the
work available to it; the console), the records consolidation weighs its answers with, and the
worker rows the realtime dispatcher checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, FloatField, Max, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from ..models import Assignment, Task, TaskWorkerExclusion, Worker, WorkerMessage, Workteam
from ..models.reputation import WorkerBatchEstimate
from .eligibility import Eligibility


def worker_assignment_counts(worker: Worker) -> dict[str, int]:
    """The worker's assignments by status: the counting part of its reputation record."""
    counts = dict.fromkeys(Assignment.Status.values, 0)
    for row in Assignment.objects.filter(worker=worker).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def worker_live_assignments(worker: Worker) -> QuerySet[Assignment]:
    """The worker's accepted assignments whose deadline has not passed, with their tasks, oldest
    first."""
    return (
        Assignment.objects.select_related("task")
        .filter(worker=worker, status=Assignment.Status.ACCEPTED, deadline__gt=timezone.now())
        .order_by("id")
    )


def worker_batch_records(
    *, worker_ids: list[int], batch_ids: Iterable[int] | QuerySet[Any, Any]
) -> dict[int, tuple[float, int]]:
    """Each worker's record over ``batch_ids`` (a list or a queryset of batch ids): the
    answers-weighted mean of consolidation's per-batch accuracy estimates and the answers they
    cover, ``{worker_id: (accuracy, answers)}``; workers with no estimate there are left out.
    Consolidation uses it as the record from earlier work (``consolidation.records``), so the
    caller passes the batches of similar earlier work, never the batch being consolidated."""
    rows = (
        WorkerBatchEstimate.objects.filter(worker_id__in=worker_ids, batch_id__in=batch_ids, answers__gt=0)
        .values("worker_id")
        .annotate(weighted=Sum(F("estimated_accuracy") * Cast("answers", FloatField())), answers=Sum("answers"))
        .order_by("worker_id")
    )
    return {row["worker_id"]: (row["weighted"] / row["answers"], int(row["answers"])) for row in rows}


def worker_inbox(worker: Worker) -> QuerySet[WorkerMessage]:
    """The messages requesters sent ``worker``, with their requesters (unordered: a paginated
    list orders them)."""
    return WorkerMessage.objects.select_related("requester").filter(worker=worker)


def active_worker(worker_id: int | str) -> Worker | None:
    """The worker ``worker_id`` if it exists and is active (the caller holds a signed credential
    naming it), else ``None``."""
    return Worker.objects.filter(pk=worker_id, is_active=True).first()


def worker_by_token_hash(worker_id: int | None, token_hash: str) -> Worker | None:
    """The active worker ``worker_id`` if its current, unrevoked token hashes to ``token_hash``
    (what a console activation started with a token still holds), else ``None``."""
    if worker_id is None:
        return None
    return Worker.objects.filter(
        pk=worker_id, token_hash=token_hash, is_active=True, token_revoked_at__isnull=True
    ).first()


def current_token_hashes(worker_ids: list[int]) -> dict[int, str]:
    """The token hash each of these workers authenticates with now (absent: deactivated)."""
    return dict(Worker.objects.filter(pk__in=worker_ids, is_active=True).values_list("pk", "token_hash"))


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


def worker_available_work(
    worker: Worker, *, eligibility: Eligibility, now: datetime, limit: int = 100
) -> list[AvailableWork]:
    """Work available to ``worker`` at ``now``, per workteam and requester, by the dispatch's
    own eligibility rule (``eligibility``: the worker's, from ``dispatch.worker_eligibility``
    at the same ``now``: memberships, blocks, qualification requirements, quality stops); tasks
    it held before, and those excluding it, left out. The groups with the most open tasks first,
    at most ``limit``. A vendor team's capacity is not counted here: it is checked when a task is claimed."""
    if not eligibility.workteam_ids:
        return []
    eligible = (
        eligibility.open_tasks(now)
        .exclude(Exists(Assignment.objects.filter(task=OuterRef("pk"), worker=worker)))
        .exclude(Exists(TaskWorkerExclusion.objects.filter(task=OuterRef("pk"), worker=worker)))
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
