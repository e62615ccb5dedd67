"""How far batches have come, defined once.

``batch_progress`` is one batch's counts by status (the API's batch body, and what the
labeling job's pass reads to know whether answers arrived and whether work remains).
``batch_answers`` is the answer figures of many batches: every page that shows how far a batch
(or the labeling job that owns it) has come reads them here, so a vendor's dashboard row, its
job page and the requester's pages cannot disagree.

Answer figures (per batch, over all its tasks, gold ones included):

- ``slots``: answers wanted, the sum of the tasks' slots (what was posted, plus any slot added
  later: a replacement for rejected work, or dynamic redundancy asking an unsure object for one
  more answer);
- ``answers``: answers submitted (submitted, approved or rejected);
- ``live``: assignments accepted and not yet submitted, returned or expired;
- ``backlog``: answers still to come: the free and live slots of open tasks (held tasks too:
  they are offered later), plus the live assignments on closed tasks (they may still be
  submitted);
- ``unfillable``: slots that will never be answered because their task closed (completed early
  as confident, expired or stopped) before they were: ``slots - answers - backlog``;
- ``answers_last_hour`` / ``answers_last_day``: answers submitted in the hour / 24 hours
  ending ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q, QuerySet, Sum

from ..models import Assignment, Batch, LedgerAccount, Organization, Task

LIVE_TASK_STATUSES = (Task.Status.OPEN, Task.Status.FULL)
# Tasks whose slots may still be answered: the live ones and those held for a later release.
PENDING_TASK_STATUSES = (*LIVE_TASK_STATUSES, Task.Status.HELD)


@dataclass(frozen=True)
class BatchProgress:
    """One batch's ``tasks`` and ``assignments`` by status (every status present, 0 if none,
    plus ``total``), ``answers`` submitted (the sum of the tasks' ``slots_submitted``: submitted,
    approved or rejected) and the money its escrow holds (``on_hold_micros``)."""

    tasks: dict[str, int]
    assignments: dict[str, int]
    answers: int
    on_hold_micros: int

    @property
    def open_tasks(self) -> int:
        """Tasks still taking assignments (open or full)."""
        return sum(self.tasks[status] for status in LIVE_TASK_STATUSES)

    @property
    def held_tasks(self) -> int:
        """Tasks posted but not offered yet (``held``): they take work once released."""
        return self.tasks[Task.Status.HELD]

    @property
    def live(self) -> int:
        """Assignments accepted and not yet submitted, returned or expired."""
        return self.assignments[Assignment.Status.ACCEPTED]


def requester_batches(requester: Organization) -> QuerySet[Batch]:
    """The requester's active batches, unordered: a paginated list orders them."""
    return Batch.objects.filter(requester=requester, is_active=True)


def batch_progress(batch: Batch) -> BatchProgress:
    """The batch's progress (``BatchProgress``), in three grouped queries."""
    tasks = dict.fromkeys(Task.Status.values, 0)
    answers = 0
    for row in (
        Task.objects.filter(batch=batch).values("status").annotate(n=Count("id"), answers=Sum("slots_submitted"))
    ):
        tasks[row["status"]] = row["n"]
        answers += row["answers"] or 0
    assignments = dict.fromkeys(Assignment.Status.values, 0)
    for row in Assignment.objects.filter(task__batch=batch).values("status").annotate(n=Count("id")):
        assignments[row["status"]] = row["n"]
    tasks["total"] = sum(tasks.values())
    assignments["total"] = sum(assignments.values())
    on_hold = LedgerAccount.objects.filter(batch=batch).values_list("balance_micros", flat=True).first() or 0
    return BatchProgress(tasks=tasks, assignments=assignments, answers=answers, on_hold_micros=on_hold)


@dataclass(frozen=True)
class BatchAnswers:
    """One batch's answer figures (see the module docstring for each definition)."""

    batch_id: int
    tasks: int
    slots: int
    answers: int
    live: int
    open_tasks: int
    backlog: int
    answers_last_hour: int
    answers_last_day: int
    next_expiry: datetime | None

    @property
    def unfillable(self) -> int:
        return max(0, self.slots - self.answers - self.backlog)

    @property
    def percent_answered(self) -> int:
        """Answers submitted of the slots that can still be answered or were (whole percent)."""
        return min(100, percent_of(self.answers, self.slots - self.unfillable))


def batch_answers(batch_ids: Iterable[int], *, now: datetime) -> dict[int, BatchAnswers]:
    """The figures of each of ``batch_ids`` (a batch without tasks maps to zeros): three
    grouped queries whatever the number of batches."""
    ids = sorted(set(batch_ids))
    if not ids:
        return {}
    per_batch = {
        row["batch_id"]: row
        for row in Task.objects.filter(batch_id__in=ids)
        .values("batch_id")
        .annotate(
            task_count=Count("id"),
            slot_total=Sum("slots"),
            answer_total=Sum("slots_submitted"),
            open_tasks=Count("id", filter=Q(status__in=LIVE_TASK_STATUSES)),
            open_remaining=Sum(F("slots") - F("slots_submitted"), filter=Q(status__in=PENDING_TASK_STATUSES)),
            next_expiry=Min("expires_at", filter=Q(status__in=LIVE_TASK_STATUSES)),
        )
        .order_by()
    }
    live = {
        row["task__batch_id"]: row
        for row in Assignment.objects.filter(task__batch_id__in=ids, status=Assignment.Status.ACCEPTED)
        .values("task__batch_id")
        .annotate(all=Count("id"), on_closed=Count("id", filter=~Q(task__status__in=PENDING_TASK_STATUSES)))
        .order_by()
    }
    recent = {
        row["task__batch_id"]: row
        for row in Assignment.objects.filter(
            task__batch_id__in=ids, submitted_at__gt=now - timedelta(days=1), submitted_at__lte=now
        )
        .values("task__batch_id")
        .annotate(day=Count("id"), hour=Count("id", filter=Q(submitted_at__gt=now - timedelta(hours=1))))
        .order_by()
    }
    figures = {}
    for batch_id in ids:
        row, last, held = per_batch.get(batch_id, {}), recent.get(batch_id, {}), live.get(batch_id, {})
        figures[batch_id] = BatchAnswers(
            batch_id=batch_id,
            tasks=row.get("task_count") or 0,
            slots=row.get("slot_total") or 0,
            answers=row.get("answer_total") or 0,
            live=held.get("all", 0),
            open_tasks=row.get("open_tasks") or 0,
            backlog=max(0, row.get("open_remaining") or 0) + held.get("on_closed", 0),
            answers_last_hour=last.get("hour", 0),
            answers_last_day=last.get("day", 0),
            next_expiry=row.get("next_expiry"),
        )
    return figures


def percent_of(part: int, whole: int) -> int:
    """``part`` of ``whole`` in whole percent, rounded down (so 100 % means all of it, and two
    pages showing the same counts show the same percent); 0 when ``whole`` is 0."""
    return int(100 * part / whole) if whole > 0 else 0
