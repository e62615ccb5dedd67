"""Dispatch: the one eligibility rule and the one claim service (REST and websockets alike).

Concurrency design (PostgreSQL):
- a worker's own claims are serialized by a ``FOR NO KEY UPDATE`` on its row, so the
  live-assignment cap is a plain count under that lock (no check-then-act across workers);
- candidate tasks are taken with ``FOR NO KEY UPDATE SKIP LOCKED`` through the partial index
  ``task_open_queue`` (requester, priority desc, id) where status is open: claimers never wait
  on each other's task rows, they take the next one;
- rule 1 is the unique constraint (task, worker); rule 2 the check constraint
  ``slots_used <= slots``, raised only by the guarded counter UPDATE.
On SQLite, transactions are IMMEDIATE, so claims serialize and stay correct.

Lock order everywhere: worker → assignment → task → requester dispatch state (skip-locked).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from ..errors import Conflict
from ..models import (
    Assignment,
    RequesterDispatchState,
    Task,
    VendorOffering,
    Worker,
    WorkerBatchQuality,
    WorkerBlock,
    Workteam,
    WorkteamMembership,
)
from .blocks import requesters_blocking
from .expiry import assignments_expire
from .quality import batches_excluding
from .requirements import batches_failing_requirements, restricted_batches
from .tasks import STATUS_AFTER_CLAIM

CANDIDATE_REQUESTERS_PER_CLAIM = 50


def eligible_workteam_ids(worker: Worker) -> list[int]:
    """The active workteams whose work this worker may take."""
    return list(_memberships(worker))


def _memberships(worker: Worker) -> dict[int, str]:
    """The worker's active workteams, by id, with their kinds."""
    return dict(
        WorkteamMembership.objects.filter(worker=worker, workteam__is_active=True)
        .values_list("workteam_id", "workteam__kind")
    )


def vendor_workteams_at_capacity(workteam_ids: list[int], now: datetime) -> set[int]:
    """Those of the given vendor workteams whose live assignments have reached their offering's
    capacity (a read without locks: the claim re-checks under the offering's lock)."""
    offerings = VendorOffering.objects.filter(workteam_id__in=workteam_ids)
    capacities = dict(offerings.values_list("workteam_id", "capacity"))
    live = dict(
        Assignment.objects.filter(task__workteam_id__in=list(capacities), status=Assignment.Status.ACCEPTED,
                                  deadline__gt=now)
        .values("task__workteam_id").annotate(live=Count("pk")).values_list("task__workteam_id", "live")
    )
    return {workteam_id for workteam_id, capacity in capacities.items() if live.get(workteam_id, 0) >= capacity}


def _vendor_capacity_left(workteam_id: int, now: datetime) -> bool:
    """Whether the vendor workteam may take one more live assignment. Locks its offering row, so
    claims on one vendor team count its live assignments one at a time (lock order: worker →
    task → offering; nothing locks an offering before a task)."""
    capacity = (
        VendorOffering.objects.select_for_update(no_key=True).filter(workteam_id=workteam_id)
        .values_list("capacity", flat=True).first()
    )
    if capacity is None:  # a vendor workteam without an offering has no capacity rule
        return True
    return workteam_id not in vendor_workteams_at_capacity([workteam_id], now)


def eligible_tasks(*, worker: Worker, workteam_ids: list[int], now: datetime) -> QuerySet[Task]:
    """The one eligibility rule: open, unexpired tasks of the worker's workteams that it has
    never held, of requesters not blocking it, in batches whose qualification requirements it
    meets and whose quality rules have not stopped it. One query asks whether any block, quality
    stop or restricted batch concerns the worker at all (each through a small partial index);
    only then are they read and excluded by id lists, so the claim's plan over
    ``task_open_queue`` is unchanged.
    A vendor team's capacity is the claim's own check (``assignment_claim``)."""
    held_before = Assignment.objects.filter(task=OuterRef("pk"), worker=worker)
    eligible = Task.objects.filter(
        status=Task.Status.OPEN, workteam_id__in=workteam_ids, expires_at__gt=now
    ).exclude(Exists(held_before))
    is_blocked, is_stopped, meets_restricted_work = Worker.objects.filter(pk=worker.pk).annotate(
        is_blocked=Exists(WorkerBlock.objects.filter(worker=OuterRef("pk"))),
        is_stopped=Exists(WorkerBatchQuality.objects.filter(worker=OuterRef("pk"), excluded_at__isnull=False)),
        meets_restricted_work=Exists(restricted_batches(workteam_ids=workteam_ids, now=now)),
    ).values_list("is_blocked", "is_stopped", "meets_restricted_work").get()
    if is_blocked:
        eligible = eligible.exclude(requester_id__in=requesters_blocking(worker))
    excluded: set[int] = set()
    if is_stopped:
        excluded.update(batches_excluding(worker))  # quality rules (services.quality)
    if meets_restricted_work:
        excluded.update(batches_failing_requirements(worker=worker, workteam_ids=workteam_ids, now=now))
    if excluded:
        eligible = eligible.exclude(batch_id__in=sorted(excluded))
    return eligible


def _requesters_in_fair_order(eligible: QuerySet[Task]) -> list[int]:
    """Requesters with work this worker may take, the least recently served first.

    The test is a scalar subquery taking the first eligible task, not an ``EXISTS``: PostgreSQL
    evaluates it per requester through ``task_open_queue`` and stops at the first row, where an
    ``EXISTS`` would be flattened into a join over every open task.
    """
    first_open_task = eligible.filter(requester=OuterRef("requester")).values("pk")[:1]
    return list(
        RequesterDispatchState.objects.annotate(first_open_task=Subquery(first_open_task))
        .filter(first_open_task__isnull=False)
        .order_by(F("last_served_at").asc(nulls_first=True), "requester_id")
        .values_list("requester_id", flat=True)[:CANDIDATE_REQUESTERS_PER_CLAIM]
    )


def next_task_queryset(eligible: QuerySet[Task], requester_id: int) -> QuerySet[Task]:
    """The claim's candidate query for one requester: best first, locked rows skipped.

    Its plan (an ordered scan of the partial index ``task_open_queue`` with the held-before
    check on the unique index) is pinned by a test on PostgreSQL.
    """
    return (
        eligible.filter(requester_id=requester_id)
        .order_by("-priority", "id")
        .select_for_update(skip_locked=True, no_key=True, of=("self",))
    )


def _mark_requester_served(requester_id: int, now: datetime) -> None:
    # Skip-locked: when another claim holds the row it is stamping "now" too, so waiting would
    # only serialize every claim of one requester on this row.
    unlocked = RequesterDispatchState.objects.filter(pk=requester_id).select_for_update(skip_locked=True, no_key=True)
    RequesterDispatchState.objects.filter(pk__in=unlocked.values("pk")).update(last_served_at=now)


def _best_task(worker: Worker, workteam_ids: list[int], now: datetime) -> Task | None:
    """The best task the worker may take in these workteams, locked, or ``None``."""
    if not workteam_ids:
        return None
    eligible = eligible_tasks(worker=worker, workteam_ids=workteam_ids, now=now)
    for requester_id in _requesters_in_fair_order(eligible):
        task = next_task_queryset(eligible, requester_id).first()
        if task is not None:
            return task
    return None


def assignment_claim(*, worker: Worker) -> Assignment | None:
    """Give ``worker`` an assignment on the best task it may take, or ``None`` if none is open.

    Best means: the requester served least recently, then within it the highest priority, then
    the oldest task. Raises ``Conflict(too_many_live_assignments)`` at the live-assignment cap.
    The worker's own overdue assignments are expired first, each in its own transaction (they
    no longer count as live).
    """
    cap = settings.GROUNDWORK["MAX_LIVE_ASSIGNMENTS_PER_WORKER"]
    accepted = Assignment.objects.filter(worker=worker, status=Assignment.Status.ACCEPTED)
    overdue = list(accepted.filter(deadline__lte=timezone.now()).values_list("pk", flat=True))
    if overdue:
        # In their own short transactions, before the claim's: expiring inside it would hold a
        # task lock while waiting for another assignment's, against the fixed lock order.
        assignments_expire(assignment_ids=overdue, now=timezone.now())
    with transaction.atomic():
        list(Worker.objects.select_for_update(no_key=True).filter(pk=worker.pk).values_list("pk"))
        now = timezone.now()
        # Overdue ones not expired yet (a race with the line above) no longer count as live.
        if accepted.filter(deadline__gt=now).count() >= cap:
            raise Conflict(
                f"you already hold {cap} live assignments; submit or return one first",
                code="too_many_live_assignments",
            )
        memberships = _memberships(worker)
        vendor_ids = [workteam_id for workteam_id, kind in memberships.items() if kind == Workteam.Kind.VENDOR]
        full = vendor_workteams_at_capacity(vendor_ids, now) if vendor_ids else set()
        workteam_ids = [workteam_id for workteam_id in memberships if workteam_id not in full]
        task = _best_task(worker, workteam_ids, now)
        # A vendor team's capacity (its offering's) is checked again under the offering's lock;
        # a team found full is left out and the search goes on.
        while task is not None and task.workteam_id in vendor_ids and not _vendor_capacity_left(task.workteam_id, now):
            workteam_ids.remove(task.workteam_id)
            task = _best_task(worker, workteam_ids, now)
        if task is None:
            return None
        assignment = Assignment.objects.create(
            task=task, worker=worker, status=Assignment.Status.ACCEPTED, accepted_at=now,
            deadline=now + timedelta(seconds=task.assignment_duration_seconds),
        )
        Task.objects.filter(pk=task.pk).update(slots_used=F("slots_used") + 1, status=STATUS_AFTER_CLAIM)
        _mark_requester_served(task.requester_id, now)
    assignment.task = task
    return assignment
