"""The work a vendor's team has in hand: every active batch posted to one of its workteams
with work left (open tasks or live assignments), and how fast it is moving. A selector for the
vendor dashboard; it knows batches only (the labeling app maps them to jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, Sum

from ..models import Assignment, Organization, Task, Workteam

LIVE_TASK_STATUSES = (Task.Status.OPEN, Task.Status.FULL)


@dataclass(frozen=True)
class BatchWork:
    """One batch in progress on the vendor's team: ``answers`` submitted of ``slots`` wanted,
    ``live`` assignments, answers in the last hour and day, and when the next open task expires."""

    batch_id: int
    requester_name: str
    workteam_name: str
    slots: int
    answers: int
    live: int
    open_tasks: int
    answers_last_hour: int
    answers_last_day: int
    next_expiry: datetime | None

    @property
    def backlog(self) -> int:
        return max(0, self.slots - self.answers)

    @property
    def percent_done(self) -> int:
        return int(100 * self.answers / self.slots) if self.slots else 0


def vendor_active_work(vendor: Organization, *, now: datetime) -> list[BatchWork]:
    """Active batches on the vendor's workteams that still have open tasks or live
    assignments, the soonest to expire first. Three grouped queries, whatever the size."""
    tasks = Task.objects.filter(workteam__owner=vendor, workteam__kind=Workteam.Kind.VENDOR, batch__is_active=True)
    per_batch = (
        tasks.values("batch_id", "requester__name", "workteam__name")
        .annotate(slots=Sum("slots"), answers=Sum("slots_submitted"), live_slots=Sum("slots_used"),
                  open_tasks=Count("id", filter=Q(status__in=LIVE_TASK_STATUSES)),
                  next_expiry=Min("expires_at", filter=Q(status__in=LIVE_TASK_STATUSES)))
        .order_by("batch_id")
    )
    # used - submitted counts live assignments; a closed task may still hold one.
    rows = [row for row in per_batch if row["open_tasks"] or row["live_slots"] > row["answers"]]
    batch_ids = [row["batch_id"] for row in rows]
    recent = {
        row["task__batch_id"]: row for row in Assignment.objects.filter(
            task__batch_id__in=batch_ids, submitted_at__gte=now - timedelta(days=1))
        .values("task__batch_id").annotate(
            day=Count("id"), hour=Count("id", filter=Q(submitted_at__gte=now - timedelta(hours=1)))).order_by()
    }
    work = [
        BatchWork(
            batch_id=row["batch_id"], requester_name=row["requester__name"], workteam_name=row["workteam__name"],
            slots=row["slots"] or 0, answers=row["answers"] or 0, live=(row["live_slots"] or 0) - (row["answers"] or 0),
            open_tasks=row["open_tasks"], answers_last_hour=recent.get(row["batch_id"], {}).get("hour", 0),
            answers_last_day=recent.get(row["batch_id"], {}).get("day", 0), next_expiry=row["next_expiry"],
        )
        for row in rows
    ]
    far_future = now + timedelta(days=100 * 365)
    return sorted(work, key=lambda item: (item.next_expiry or far_future, item.batch_id))


def vendor_answers_by_hour(vendor: Organization, *, now: datetime, hours: int = 24) -> list[int]:
    """Answers submitted on the vendor's workteams in each of the last ``hours`` hours, oldest
    first (the last count is the hour ending ``now``)."""
    since = now - timedelta(hours=hours)
    counts = [0] * hours
    moments = Assignment.objects.filter(
        task__workteam__owner=vendor, task__workteam__kind=Workteam.Kind.VENDOR, submitted_at__gt=since,
        submitted_at__lte=now).values_list("submitted_at", flat=True)
    for moment in moments.iterator(chunk_size=5000):
        counts[min(hours - 1, int((moment - since).total_seconds() // 3600))] += 1
    return counts
