"""Bonuses: a requester pays a worker extra, from its available balance, with the platform fee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ..access import access_assignment_as_requester
from ..errors import DomainError, InvalidInput, NotFound
from ..models import Assignment, LedgerAccount, LedgerTransaction, Organization, Worker
from .ledger import current_fee_terms, fee_for, ledger_post, platform_account, requester_account, worker_account

WORKED = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)


@dataclass(frozen=True)
class Bonus:
    transaction_id: int
    worker_id: int
    amount_micros: int
    fee_micros: int
    reason: str
    assignment_id: int | None
    created_at: datetime


def bonuses_paid(
    *, requester: Organization, assignment_id: int | None = None, task_id: int | None = None
) -> list[Bonus]:
    """The bonuses ``requester`` paid, oldest first: to one assignment, or to the assignments of
    one task, when asked."""
    records = LedgerTransaction.objects.filter(requester=requester, kind=LedgerTransaction.Kind.BONUS)
    if assignment_id is not None:
        records = records.filter(assignment_id=assignment_id)
    if task_id is not None:
        records = records.filter(task_id=task_id)
    return [_bonus_from(record) for record in records.prefetch_related("entries__account").order_by("id")]


def _bonus_from(record: LedgerTransaction) -> Bonus:
    amounts = {entry.account.kind: entry.amount_micros for entry in record.entries.all()}
    assert record.worker_id is not None  # a bonus transaction names its worker (bonus_pay)
    return Bonus(
        transaction_id=record.pk,
        worker_id=record.worker_id,
        amount_micros=amounts.get(LedgerAccount.Kind.WORKER_EARNINGS, 0),
        fee_micros=amounts.get(LedgerAccount.Kind.PLATFORM_FEES, 0),
        reason=record.memo,
        assignment_id=record.assignment_id,
        created_at=record.created_at,
    )


def bonus_idempotency_key_check(idempotency_key: str | None) -> None:
    """The 400 when a bonus request has no ``Idempotency-Key`` (checked before its body)."""
    if not idempotency_key:
        raise InvalidInput.for_field("Idempotency-Key", "is required: a bonus must never be paid twice by a retry")


def bonus_pay(
    *,
    requester: Organization,
    worker_id: int,
    amount_micros: int,
    reason: str,
    assignment_id: int | None,
    idempotency_key: str | None,
) -> tuple[Bonus, bool]:
    """Pay a bonus (as ``inputs.bonuses.BonusPay`` declares it: an amount within
    ``BONUS_MAXIMUM_MICROS``, a reason): the amount to the worker, the fee to the platform, both
    from the requester's available balance (402 ``insufficient_balance`` when it cannot cover them).

    Only a worker who did work for this requester (submitted an answer to one of its tasks)
    can receive one; ``assignment_id`` must then be one of that worker's assignments on this
    requester's tasks. ``idempotency_key`` is required and becomes the ledger reference, so a
    retry never pays twice, even after the API's idempotency records are purged. Returns the
    bonus and whether this call paid it.
    """
    bonus_idempotency_key_check(idempotency_key)

    assignment = None
    if assignment_id is not None:
        try:
            assignment = access_assignment_as_requester(requester, assignment_id)
        except NotFound:
            raise InvalidInput.for_field("assignment_id", "no such assignment among your tasks") from None
        if assignment.worker_id != worker_id:
            raise InvalidInput.for_field("assignment_id", "belongs to another worker")
    worked = Assignment.objects.filter(worker_id=worker_id, task__requester=requester, status__in=WORKED)
    worker = Worker.objects.filter(pk=worker_id).first()
    if worker is None or not worked.exists():
        raise InvalidInput.for_field("worker_id", "no worker with this id has done work for you")

    rate_ppm, minimum_micros = current_fee_terms()
    fee_micros = fee_for(amount_micros, rate_ppm=rate_ppm, minimum_micros=minimum_micros)
    with transaction.atomic():
        record, paid = ledger_post(
            kind=LedgerTransaction.Kind.BONUS,
            reference=f"bonus:{requester.pk}:{idempotency_key}",
            memo=reason,
            requester=requester,
            worker=worker,
            assignment=assignment,
            task_id=assignment.task_id if assignment else None,
            postings=[
                (requester_account(requester), -(amount_micros + fee_micros)),
                (worker_account(worker), amount_micros),
                (platform_account(LedgerAccount.Kind.PLATFORM_FEES), fee_micros),
            ],
        )
    bonus = _bonus_from(record)
    if not paid and (bonus.worker_id, bonus.amount_micros, bonus.assignment_id) != (
        worker_id,
        amount_micros,
        assignment_id,
    ):
        raise DomainError("this Idempotency-Key was used for another bonus", code="idempotency_key_reused", status=422)
    return bonus, paid
