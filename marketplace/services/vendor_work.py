"""The work a vendor's team has in hand: every active batch posted to one of its workteams
with work left (open tasks or live assignments), and how fast its team is answering. Selectors
for the vendor dashboard; they know batches only (the labeling app maps them to jobs). A
batch's figures come from ``batch_figures.batch_answers``, the same selector the job pages use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from ..models import Assignment, Organization, Task, Workteam
from .batch_figures import LIVE_TASK_STATUSES, BatchAnswers, batch_answers


@dataclass(frozen=True)
class BatchWork:
    """One batch in progress on the vendor's team: its requester and team, and its answer
    figures (``answers`` submitted of ``slots`` wanted, ``live``, ``backlog``…)."""

    requester_name: str
    workteam_name: str
    figures: BatchAnswers

    @property
    def batch_id(self) -> int:
        return self.figures.batch_id

    @property
    def next_expiry(self) -> datetime | None:
        return self.figures.next_expiry


def vendor_active_work(vendor: Organization, *, now: datetime) -> list[BatchWork]:
    """Active batches on the vendor's workteams that still have open tasks or live
    assignments, the soonest to expire first."""
    tasks = Task.objects.filter(workteam__owner=vendor, workteam__kind=Workteam.Kind.VENDOR, batch__is_active=True)
    with_work = tasks.filter(Q(status__in=LIVE_TASK_STATUSES) | Q(assignments__status=Assignment.Status.ACCEPTED))
    names = {
        batch_id: (requester, workteam)
        for batch_id, requester, workteam in with_work.values_list("batch_id", "requester__name", "workteam__name")
        .distinct()
        .order_by()
    }
    figures = batch_answers(names, now=now)
    work = [
        BatchWork(requester_name=names[batch_id][0], workteam_name=names[batch_id][1], figures=figures[batch_id])
        for batch_id in sorted(names)
    ]
    far_future = now + timedelta(days=100 * 365)
    return sorted(work, key=lambda item: (item.next_expiry or far_future, item.batch_id))


@dataclass(frozen=True)
class Throughput:
    """Answers submitted on a vendor's workteams: ``by_hour`` in each of the last 24 hours,
    oldest first (the last is the hour ending ``now``); ``last_hour`` is that last count and
    ``last_day`` their sum, so a card and the chart beside it always agree."""

    by_hour: tuple[int, ...]

    @property
    def last_hour(self) -> int:
        return self.by_hour[-1] if self.by_hour else 0

    @property
    def last_day(self) -> int:
        return sum(self.by_hour)


def vendor_throughput(vendor: Organization, *, now: datetime, hours: int = 24) -> Throughput:
    """Answers submitted on the vendor's workteams (any batch, finished ones included) in each
    of the last ``hours`` hours: an answer at ``t`` counts in the hour ``(start, end]`` holding it."""
    since = now - timedelta(hours=hours)
    counts = [0] * hours
    moments = Assignment.objects.filter(
        task__workteam__owner=vendor,
        task__workteam__kind=Workteam.Kind.VENDOR,
        submitted_at__gt=since,
        submitted_at__lte=now,
    ).values_list("submitted_at", flat=True)
    for moment in moments.iterator(chunk_size=5000):
        assert moment is not None  # filtered on submitted_at
        seconds = (moment - since).total_seconds()
        counts[min(hours - 1, max(0, int(-(-seconds // 3600)) - 1))] += 1
    return Throughput(by_hour=tuple(counts))
