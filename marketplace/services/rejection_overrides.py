"""Approving an assignment that was rejected (MTurk's ``OverrideRejection``).

A rejection settled the slot and gave its reserve back to the requester, so the payment cannot
come from escrow: it comes from the requester's available balance, as a ledger transaction of
its own kind (``rejection_override_payment``) under the same reference an ordinary approval
would use (``assignment:<id>:payment``), so an assignment is paid at most once whichever way it
was approved. The task's counters do not move: the slot was settled and stays settled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from ..errors import Conflict
from ..events import emit
from ..locking import lock_task
from ..models import Assignment, LedgerAccount, LedgerTransaction
from .escrow import payee_account, slot_cost_micros
from .ledger import ledger_post, platform_account, requester_account
from .reputation import reputation_count

# As on Mechanical Turk: a rejection can be overridden for 30 days.
OVERRIDE_WINDOW = timedelta(days=30)


def rejection_override(*, assignment: Assignment, feedback: str, now: datetime) -> Assignment:
    """Approve ``assignment``, which is ``rejected`` and locked by the caller's transaction.

    Pays the task's price to the worker (or its vendor) and the fee fixed on its batch to the
    platform, both from the requester's available balance (``InsufficientBalance``, 402, when
    it cannot cover them: nothing changes then). Moves the worker's reputation from one
    rejection to one approval. ``feedback``, when not empty, replaces the rejection's.

    Raises ``Conflict(rejection_override_expired)`` more than ``OVERRIDE_WINDOW`` after the
    rejection. Lock order: the assignment (held), the task, the accounts, the reputation row.
    """
    if assignment.status != Assignment.Status.REJECTED:
        raise ValueError(f"assignment {assignment.pk} is {assignment.status}, not rejected")
    rejected_at = assignment.rejected_at or now
    if now - rejected_at > OVERRIDE_WINDOW:
        raise Conflict(
            f"the assignment was rejected on {rejected_at:%Y-%m-%d}, more than 30 days ago: "
            "its rejection can no longer be overridden",
            code="rejection_override_expired",
        )
    task = lock_task(assignment.task_id)
    payee = payee_account(task, worker_id=assignment.worker_id)
    with transaction.atomic():
        ledger_post(
            kind=LedgerTransaction.Kind.REJECTION_OVERRIDE_PAYMENT,
            reference=f"assignment:{assignment.pk}:payment",
            memo="approved after rejection",
            requester_id=task.requester_id,
            batch=task.batch,
            task=task,
            assignment=assignment,
            worker_id=assignment.worker_id,
            postings=[
                (requester_account(task.batch.requester), -slot_cost_micros(task)),
                (payee, task.reward_micros),
                (platform_account(LedgerAccount.Kind.PLATFORM_FEES), task.fee_micros),
            ],
        )
        assignment.status = Assignment.Status.APPROVED
        assignment.approved_at = now
        if feedback:
            assignment.feedback = feedback
        assignment.save(update_fields=["status", "approved_at", "feedback"])
        reputation_count(worker_id=assignment.worker_id, rejected=-1, approved=1)
        emit.assignments_changed("assignment.approved", [assignment])
    return assignment
