"""Row locks, taken in the one order every transaction follows (docs/concurrency.md).

Every service takes its row locks through these helpers; ``select_for_update`` appears nowhere
else. A transaction that holds a lock of one rank never asks for a lock of an earlier rank, and
within a rank it takes rows in ascending id (so two transactions never wait on each other in a
cycle). Every lock is ``FOR NO KEY UPDATE`` (it does not block inserts of rows that point at
the locked one: an assignment inserted for a locked task, a ledger entry for a locked account).
``lock_*`` helpers take their locks when called; ``locked_*`` (and ``unlocked_*``,
``claim_candidates``) return a queryset that takes them when it is evaluated, for callers that
read the rows with joins or use them as a subquery.

====  ==========================  ==============================================================
rank  rows                        taken by
====  ==========================  ==============================================================
1     a steering job              ``locked_steering_job``: the object of an app above the
                                  marketplace that steers a batch (a labeling job), before
                                  anything of that batch
2     workers                     ``lock_workers``: the claim (serializes a worker's claims, so
                                  the live-assignment cap is a plain count), qualification tests
3     assignments                 ``locked_assignments``: submit, return, approve, reject,
                                  expire, override a rejection, appeal one and decide the
                                  appeal (an appeal row is written only under this lock)
4     tasks                       ``lock_tasks`` / ``locked_tasks`` / ``lock_task``; the claim's
                                  candidates with ``claim_candidates`` (SKIP LOCKED: claimers
                                  never wait on each other's tasks)
5     vendor offerings            ``lock_vendor_offering`` (a vendor team's capacity, in a claim)
6     requester dispatch states   ``unlocked_dispatch_states`` (SKIP LOCKED: never waits)
7     batch quality rows          by their UPDATE in (worker, batch) order (``quality``)
8     payouts                     ``lock_payout`` / ``locked_payouts``
9     ledger accounts             ``lock_accounts``, and ``ledger_post``'s UPDATEs (ascending id)
10    worker reputation rows      ``lock_reputations``, and ``reputation_count``'s UPDATE:
                                  always the last lock of a transaction
====  ==========================  ==============================================================

Outside the order: ``claimed_outbox_rows`` (events being fanned out, SKIP LOCKED: never waits),
``locked_alone`` for a row that is the only lock its transaction takes (an
offering edited, a qualification grant, a registered storage location, a workteam retired), and rows the
transaction itself inserted (no other transaction can see them, so locking them cannot wait).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Manager, Model, Q, QuerySet

from .models import Assignment, LedgerAccount, Payout, RequesterDispatchState, Task, VendorOffering, Worker
from .models.reputation import WorkerReputation

M = TypeVar("M", bound=Model)


def locked_steering_job(queryset: QuerySet[M] | Manager[M]) -> QuerySet[M]:
    """Rank 1: the job (one row of ``queryset``, a labeling job's) steering a batch, taken
    before any row of its batch. Returns the locking queryset (evaluate it inside the
    transaction: ``.get()``, ``.values_list(…).get()``)."""
    return queryset.select_for_update(no_key=True)


def lock_workers(worker_ids: Iterable[int]) -> None:
    """Rank 2: these workers' rows, in id order."""
    list(
        Worker.objects.filter(pk__in=sorted(set(worker_ids)))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk")
    )


def locked_workers(queryset: QuerySet[Worker]) -> QuerySet[Worker]:
    """Rank 2: the workers of ``queryset`` (only their rows; one worker, or in id order), locked
    as it is evaluated: the claim's first statement, which reads the worker's state with it."""
    return queryset.select_for_update(no_key=True, of=("self",)).order_by("pk")


def locked_assignments(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Rank 3: the assignments of ``queryset`` (only their rows, not the tasks or batches it
    may join for reading), in id order. Evaluate it inside the transaction."""
    return queryset.select_for_update(no_key=True, of=("self",)).order_by("pk")


def locked_tasks(queryset: QuerySet[Task], *, skip_locked: bool = False) -> QuerySet[Task]:
    """Rank 4: ``queryset``'s tasks (only their rows), in id order, locked as it is evaluated
    (a no-op for rows the transaction holds already). ``skip_locked`` (a sweep) leaves out rows
    another transaction holds, instead of waiting for them."""
    return queryset.order_by("id").select_for_update(no_key=True, skip_locked=skip_locked, of=("self",))


def lock_tasks(queryset: QuerySet[Task] | None = None, *, ids: Iterable[int] = ()) -> list[int]:
    """Rank 4: ``locked_tasks`` of ``queryset`` (or of the tasks with these ``ids``); returns their ids."""
    if queryset is None:
        queryset = Task.objects.filter(pk__in=sorted(set(ids)))
    return list(locked_tasks(queryset).values_list("pk", flat=True))


def lock_task(task_id: int) -> Task:
    """Rank 4: one task's row, read whole (with its batch, workteam and the workteam's owner, unlocked)."""
    return (
        Task.objects.select_for_update(no_key=True, of=("self",))
        .select_related("batch", "workteam", "workteam__owner")
        .get(pk=task_id)
    )


def claim_candidates(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Rank 4, skip-locked: ``queryset``'s tasks (already in the claim's order, best first) with
    the rows another claim holds left out, the rest locked as they are read."""
    return queryset.select_for_update(skip_locked=True, no_key=True, of=("self",))


def lock_vendor_offering(workteam_id: int) -> int:
    """Rank 5: the offering of a vendor team; returns its capacity."""
    return (
        VendorOffering.objects.select_for_update(no_key=True)
        .filter(workteam_id=workteam_id)
        .values_list("capacity", flat=True)
        .get()
    )


def unlocked_dispatch_states(requester_ids: Iterable[int]) -> QuerySet[RequesterDispatchState]:
    """Rank 6, skip-locked: these requesters' dispatch states that no other claim holds (locked
    as the query runs; use it as a subquery of the UPDATE that stamps them)."""
    return RequesterDispatchState.objects.filter(pk__in=sorted(set(requester_ids))).select_for_update(
        skip_locked=True, no_key=True
    )


def lock_payout(payout_id: int) -> Payout:
    """Rank 8: one payout's row (``Payout.DoesNotExist`` when there is none)."""
    return Payout.objects.select_for_update(no_key=True).get(pk=payout_id)


def locked_payouts(queryset: QuerySet[Payout]) -> QuerySet[Payout]:
    """Rank 8: the payouts of ``queryset`` (only their rows), in id order."""
    return queryset.select_for_update(no_key=True, of=("self",)).order_by("id")


def lock_accounts(accounts: Q) -> None:
    """Rank 9: the ledger accounts matching ``accounts``, in id order, before a transaction's
    first posting when it will post more than once (each ``ledger_post`` updates its own
    accounts in id order, but a second posting could otherwise take a lower id after a higher
    one)."""
    list(LedgerAccount.objects.filter(accounts).order_by("id").select_for_update(no_key=True).values_list("pk"))


def lock_reputations(worker_ids: Iterable[int]) -> None:
    """Rank 10, last: these workers' reputation rows, in worker id order."""
    rows = WorkerReputation.objects.filter(worker_id__in=sorted(set(worker_ids)))
    list(rows.select_for_update(no_key=True).order_by("worker_id").values_list("worker_id"))


def claimed_outbox_rows(queryset: QuerySet[M] | Manager[M]) -> QuerySet[M]:
    """Outside the order: outbox rows (events to fan out, webhook sender leases) taken with
    SKIP LOCKED by a transaction that takes no other lock, so it never waits and is never part
    of a cycle; a row another sender holds is simply left to it."""
    return queryset.select_for_update(no_key=True, skip_locked=True)


def locked_alone(queryset: QuerySet[M] | Manager[M]) -> QuerySet[M]:
    """Outside the order: ``queryset``'s row, for a transaction that takes no other lock before
    or after it (so it cannot be part of a cycle). Also the generic lock of ``access_*(…,
    lock=True)`` for kinds not ranked above."""
    return queryset.select_for_update(no_key=True)
