"""Escrow: the money a batch holds for the assignments it may still have to pay.

Each slot reserve costs the task's price plus its fee. A task holds ``escrow_slots`` reserves,
and after every change of its state it must hold exactly ``cap - slots_settled``, where ``cap`` is

    open, full, held:  max(reserve_slots, slots)
    complete:          max(reserve_slots, slots_used)
    expired, stopped:  slots_used

``reserve_slots`` is the worst case the task was posted for: more than ``slots`` when dynamic
redundancy may still add slots to it (a labeling job keeps that headroom reserved, even while
the task is complete, until it ends: ``batch_finish``). Closing a task early drops the headroom
(``reserve_slots`` = 0), so a task that can no longer be filled holds one reserve per assignment
that is live or submitted and not yet settled. ``escrow_sync`` restores that after any change, posting
a reserve (which may be refused with 402) or a release; approving spends one reserve
(``assignment_pay``). Every caller runs these inside the transaction that changed the task,
holding the task rows, so the counters and the money move together or not at all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q

from ..locking import lock_accounts, lock_task, locked_tasks
from ..models import Assignment, Batch, LedgerAccount, LedgerTransaction, Task, Workteam
from .ledger import escrow_account, ledger_post, platform_account, requester_account, vendor_account, worker_account

# A held task is reserved as an open one: releasing it (services.batches.tasks_release) moves no money.
FILLABLE = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)


def slot_cost_micros(task: Task) -> int:
    return task.reward_micros + task.fee_micros


def worst_case_micros(tasks: Iterable[Task]) -> int:
    """What freshly inserted tasks (each holding ``escrow_slots`` = ``reserve_slots`` already)
    need in escrow."""
    return sum(task.escrow_slots * slot_cost_micros(task) for task in tasks)


def batch_reserve(*, batch: Batch, amount_micros: int) -> None:
    """Move ``amount_micros`` from the requester's available balance into the batch's escrow
    for tasks just inserted, or raise ``InsufficientBalance`` (the caller's transaction then
    rolls the tasks back too)."""
    if amount_micros:
        ledger_post(
            kind=LedgerTransaction.Kind.ESCROW_RESERVE,
            reference=f"escrow:{batch.pk}:{uuid.uuid4().hex}",
            requester_id=batch.requester_id,
            batch=batch,
            postings=[(requester_account(batch.requester), -amount_micros), (escrow_account(batch), amount_micros)],
        )


def escrow_sync(*, task_ids: Iterable[int]) -> int:
    """Bring the escrow of these tasks to what each needs now (see the module docstring).

    Locks the task rows (id order; a no-op for rows the caller already holds), then the
    accounts. Raises ``InsufficientBalance`` when a reserve cannot be covered; the caller's
    transaction must then roll back whatever grew the need. Returns the net amount moved into
    escrow (negative when released).
    """
    ids = sorted(set(task_ids))
    if not ids:
        return 0
    rows = list(
        locked_tasks(Task.objects.filter(pk__in=ids)).values_list(
            "pk",
            "batch_id",
            "status",
            "slots",
            "slots_used",
            "slots_settled",
            "reserve_slots",
            "escrow_slots",
            "reward_micros",
            "fee_micros",
        )
    )
    changes: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # batch → (task, needed, delta micros)
    for task_id, batch_id, status, slots, used, settled, reserve, held, reward, fee in rows:
        if status in FILLABLE:
            cap = max(reserve, slots)
        elif status == Task.Status.COMPLETE:
            cap = max(reserve, used)
        else:
            cap = used
        needed = max(0, cap - settled)
        if needed != held:
            changes[batch_id].append((task_id, needed, (needed - held) * (reward + fee)))
    paying = [batch_id for batch_id, batch_changes in changes.items() if sum(d for _, _, d in batch_changes)]
    if len(paying) > 1:
        _lock_accounts_of(paying)
    moved = 0
    for batch_id, batch_changes in changes.items():
        amount = sum(delta for _, _, delta in batch_changes)
        if amount:
            batch = Batch.objects.select_related("requester").get(pk=batch_id)
            ledger_post(
                kind=LedgerTransaction.Kind.ESCROW_RESERVE if amount > 0 else LedgerTransaction.Kind.ESCROW_RELEASE,
                reference=f"escrow:{batch_id}:{uuid.uuid4().hex}",
                requester_id=batch.requester_id,
                batch=batch,
                task_id=batch_changes[0][0] if len(batch_changes) == 1 else None,
                postings=[(requester_account(batch.requester), -amount), (escrow_account(batch), amount)],
            )
            moved += amount
        by_needed: dict[int, list[int]] = defaultdict(list)
        for task_id, needed, _ in batch_changes:
            by_needed[needed].append(task_id)
        for needed, task_ids_needing in by_needed.items():
            Task.objects.filter(pk__in=task_ids_needing).update(escrow_slots=needed)
    return moved


def _lock_accounts_of(batch_ids: list[int]) -> None:
    """Take every account these batches' postings will touch, in ascending id order, before the
    first posting: each posting locks its own accounts in that order, but a second posting in
    the same transaction could otherwise take a lower id after a higher one and deadlock with a
    concurrent approval or bonus."""
    requester_ids = Batch.objects.filter(pk__in=batch_ids).values("requester_id")
    for batch in Batch.objects.filter(pk__in=batch_ids).select_related("requester"):
        escrow_account(batch)
        requester_account(batch.requester)  # create before locking: creation is not ordered
    lock_accounts(
        Q(kind=LedgerAccount.Kind.BATCH_ESCROW, batch_id__in=batch_ids)
        | Q(kind=LedgerAccount.Kind.REQUESTER_AVAILABLE, organization_id__in=requester_ids)
    )


def payee_account(task: Task, *, worker_id: int) -> LedgerAccount:
    """Who earns an assignment's price: its vendor on a vendor workteam, else the worker."""
    if task.workteam.kind == Workteam.Kind.VENDOR:
        assert task.workteam.owner is not None  # a vendor's team is owned by the vendor
        return vendor_account(task.workteam.owner)
    return worker_account(worker_id)


def assignment_pay(*, assignment: Assignment) -> bool:
    """Pay an assignment being approved from one of its task's reserves: the price to the worker
    (or to the vendor on a vendor workteam), the fee to the platform. Exactly once per
    assignment (the transaction's reference is the assignment's); returns whether this call
    paid. Call inside the approving transaction, holding the assignment row; locks the task
    row before the accounts."""
    # The task row first, then the accounts: the lock order of every money path.
    task = lock_task(assignment.task_id)
    payee = payee_account(task, worker_id=assignment.worker_id)
    with transaction.atomic():
        _, paid = ledger_post(
            kind=LedgerTransaction.Kind.ASSIGNMENT_PAYMENT,
            reference=f"assignment:{assignment.pk}:payment",
            requester_id=task.requester_id,
            batch=task.batch,
            task=task,
            assignment=assignment,
            worker_id=assignment.worker_id,
            postings=[
                (escrow_account(task.batch), -slot_cost_micros(task)),
                (payee, task.reward_micros),
                (platform_account(LedgerAccount.Kind.PLATFORM_FEES), task.fee_micros),
            ],
        )
        if paid:
            # Spending one reserve on one settled slot leaves ``cap - slots_settled - escrow_slots``
            # unchanged (``cap`` does not depend on settlements): no sync is needed.
            Task.objects.filter(pk=task.pk).update(
                escrow_slots=F("escrow_slots") - 1, slots_settled=F("slots_settled") + 1
            )
    return paid


def assignment_release(*, assignment: Assignment) -> None:
    """Settle an assignment being rejected: its slot stays used but will never be paid, so its
    reserve goes back to the requester. Call inside the rejecting transaction."""
    Task.objects.filter(pk=assignment.task_id).update(slots_settled=F("slots_settled") + 1)
    escrow_sync(task_ids=[assignment.task_id])
