"""The ledger's invariants, checked on the database alone (DESIGN.md "Money", rule 4): what the
ledger property test checks after every step, and what the concurrency and rejection tests
check after theirs. ``ledger_violations()`` lists every broken invariant (empty when all hold).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Sum
from django.db.models.functions import Coalesce

from marketplace.models import Assignment, Batch, LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Task

Kind = LedgerAccount.Kind
TxKind = LedgerTransaction.Kind
Status = Assignment.Status
FILLABLE = (Task.Status.OPEN, Task.Status.FULL, Task.Status.HELD)


def expected_escrow_slots(task: dict, holding: Counter) -> int:
    """What a task must hold in escrow, from its assignment rows (services/escrow.py's rule):
    while it can be filled (held too), one reserve per slot that can still be paid; once complete, also the
    headroom dynamic redundancy may still add (``reserve_slots``); once expired or stopped, one
    per assignment live or submitted and not yet settled."""
    settled = holding[Status.APPROVED] + holding[Status.REJECTED]
    used = holding[Status.ACCEPTED] + holding[Status.SUBMITTED] + settled
    if task["status"] in FILLABLE:
        cap = max(task["reserve_slots"], task["slots"])
    elif task["status"] == Task.Status.COMPLETE:
        cap = max(task["reserve_slots"], used)
    else:
        cap = used
    return max(0, cap - settled)


def ledger_violations() -> list[str]:
    """Every broken ledger invariant (empty when all hold)."""
    problems: list[str] = []
    unbalanced = list(
        LedgerEntry.objects.values("transaction_id")
        .annotate(total=Sum("amount_micros"))
        .exclude(total=0)
        .values_list("transaction_id", "total")
    )
    if unbalanced:
        problems.append(f"transactions not summing to zero: {unbalanced}")
    total = LedgerAccount.objects.aggregate(total=Sum("balance_micros"))["total"] or 0
    if total:
        problems.append(f"the balances sum to {total}, not 0")
    drifted = [
        (account.pk, account.kind, account.balance_micros, account.entry_total)
        for account in LedgerAccount.objects.annotate(entry_total=Coalesce(Sum("entries__amount_micros"), 0))
        if account.balance_micros != account.entry_total
    ]
    if drifted:
        problems.append(f"cached balances differ from their entries (id, kind, cached, entries): {drifted}")
    negative = list(
        LedgerAccount.objects.filter(balance_micros__lt=0)
        .exclude(kind=Kind.OUTSIDE_WORLD)
        .values_list("pk", "kind", "balance_micros")
    )
    if negative:
        problems.append(f"negative balances: {negative}")

    # every approved assignment paid exactly once, at its price and fee: from its own batch's
    # escrow, or from the requester's available balance when a rejection was overridden
    payments = list(
        LedgerTransaction.objects.filter(
            kind__in=[TxKind.ASSIGNMENT_PAYMENT, TxKind.REJECTION_OVERRIDE_PAYMENT]
        ).prefetch_related("entries__account")
    )
    paid = Counter(record.assignment_id for record in payments)
    approved = set(Assignment.objects.filter(status=Status.APPROVED).values_list("pk", flat=True))
    if {a for a, n in paid.items() if n > 1}:
        problems.append(f"assignments paid more than once: {sorted(a for a, n in paid.items() if n > 1)}")
    if set(paid) != approved:
        problems.append(
            f"approved but unpaid: {sorted(approved - set(paid))}; "
            f"paid but not approved: {sorted(set(paid) - approved)}"
        )
    tasks = {
        row["pk"]: row
        for row in Task.objects.values(
            "pk",
            "batch_id",
            "status",
            "slots",
            "slots_used",
            "slots_submitted",
            "slots_settled",
            "reserve_slots",
            "escrow_slots",
            "reward_micros",
            "fee_micros",
            "workteam__kind",
        )
    }
    for record in payments:
        task = tasks.get(record.task_id)
        lines = sorted((e.account.kind, e.account.batch_id, e.amount_micros) for e in record.entries.all())
        payee = Kind.VENDOR_EARNINGS if task and task["workteam__kind"] == "vendor" else Kind.WORKER_EARNINGS
        payer = (
            (Kind.BATCH_ESCROW, task and task["batch_id"])
            if record.kind == TxKind.ASSIGNMENT_PAYMENT
            else (Kind.REQUESTER_AVAILABLE, None)
        )
        expected = (
            sorted(
                [
                    (*payer, -(task["reward_micros"] + task["fee_micros"])),
                    (payee, None, task["reward_micros"]),
                    (Kind.PLATFORM_FEES, None, task["fee_micros"]),
                ]
            )
            if task
            else None
        )
        if lines != expected:
            problems.append(f"payment {record.pk} of assignment {record.assignment_id} is {lines}, not {expected}")

    # escrow per batch, per task, and the task counters against the assignment rows
    holding: dict[int, Counter] = defaultdict(Counter)
    for task_id, status in Assignment.objects.values_list("task_id", "status"):
        holding[task_id][status] += 1
    held_by_batch: dict[int, int] = defaultdict(int)
    for task_id, task in tasks.items():
        counts = holding[task_id]
        counters = (task["slots_used"], task["slots_submitted"], task["slots_settled"])
        from_rows = (
            counts[Status.ACCEPTED] + counts[Status.SUBMITTED] + counts[Status.APPROVED] + counts[Status.REJECTED],
            counts[Status.SUBMITTED] + counts[Status.APPROVED] + counts[Status.REJECTED],
            counts[Status.APPROVED] + counts[Status.REJECTED],
        )
        if counters != from_rows:
            problems.append(f"task {task_id} counters (used, submitted, settled) {counters} != rows {from_rows}")
        expected_slots = expected_escrow_slots(task, counts)
        if task["escrow_slots"] != expected_slots:
            problems.append(
                f"task {task_id} ({task['status']}, {task['slots']} slots, reserve "
                f"{task['reserve_slots']}, {dict(counts)}) holds {task['escrow_slots']} reserves, "
                f"not {expected_slots}"
            )
        held_by_batch[task["batch_id"]] += task["escrow_slots"] * (task["reward_micros"] + task["fee_micros"])
    escrow = dict(LedgerAccount.objects.filter(kind=Kind.BATCH_ESCROW).values_list("batch_id", "balance_micros"))
    for batch_id in set(Batch.objects.values_list("pk", flat=True)) | set(escrow):
        if escrow.get(batch_id, 0) != held_by_batch.get(batch_id, 0):
            problems.append(
                f"batch {batch_id} escrow holds {escrow.get(batch_id, 0)}, its tasks need "
                f"{held_by_batch.get(batch_id, 0)}"
            )
    return problems


def ledger_state() -> dict:
    """Balances (accounts holding nothing left out: they are created lazily) and row counts."""
    return {
        "balances": dict(LedgerAccount.objects.exclude(balance_micros=0).values_list("id", "balance_micros")),
        "transactions": LedgerTransaction.objects.count(),
        "entries": LedgerEntry.objects.count(),
    }


def world_state() -> dict:
    """Everything a rolled-back or refused operation must leave as it was."""
    return {
        **ledger_state(),
        "batches": Batch.objects.count(),
        "tasks": list(
            Task.objects.order_by("id").values(
                "id", "status", "slots", "slots_used", "slots_submitted", "slots_settled", "escrow_slots"
            )
        ),
        "assignments": list(Assignment.objects.order_by("id").values_list("id", "status")),
        "payouts": list(Payout.objects.order_by("id").values_list("id", "status")),
    }
