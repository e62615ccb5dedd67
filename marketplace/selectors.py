"""Reads that shape data for callers (writes live in ``services``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Assignment, Batch, LedgerAccount, Organization, Task, Worker, Workteam
from .models.reputation import WorkerBatchEstimate
from .services.vendors import subscribed_workteams


class BatchProgress(TypedDict):
    tasks: dict[str, int]
    assignments: dict[str, int]
    on_hold_micros: int


def batch_progress(batch: Batch) -> BatchProgress:
    """Counts of the batch's tasks and assignments by status (every status present, 0 if none)."""
    tasks = dict.fromkeys(Task.Status.values, 0)
    for row in Task.objects.filter(batch=batch).values("status").annotate(n=Count("id")):
        tasks[row["status"]] = row["n"]
    assignments = dict.fromkeys(Assignment.Status.values, 0)
    for row in Assignment.objects.filter(task__batch=batch).values("status").annotate(n=Count("id")):
        assignments[row["status"]] = row["n"]
    tasks["total"] = sum(tasks.values())
    assignments["total"] = sum(assignments.values())
    on_hold = LedgerAccount.objects.filter(batch=batch).values_list("balance_micros", flat=True).first() or 0
    return {"tasks": tasks, "assignments": assignments, "on_hold_micros": on_hold}


def workteams_with_member_counts(queryset: QuerySet[Workteam]) -> QuerySet[Workteam]:
    return queryset.annotate(member_count=Count("memberships"))


def worker_assignment_counts(worker: Worker) -> dict[str, int]:
    """The worker's assignments by status: the counting part of its reputation record."""
    counts = dict.fromkeys(Assignment.Status.values, 0)
    for row in Assignment.objects.filter(worker=worker).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def worker_live_assignments(worker: Worker) -> QuerySet[Assignment]:
    return (
        Assignment.objects.select_related("task")
        .filter(worker=worker, status=Assignment.Status.ACCEPTED, deadline__gt=timezone.now())
        .order_by("id")
    )


def targetable_workteams(requester: Organization) -> QuerySet[Workteam]:
    """Every active workteam ``requester`` may post work to: the public workforce, its own
    workteams and the vendor workteams it is actively subscribed to (what ``GET
    /api/v1/workteams`` lists and the portal's job form offers)."""
    return Workteam.objects.filter(
        Q(kind=Workteam.Kind.PUBLIC) | Q(owner=requester) | subscribed_workteams(requester), is_active=True
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
