"""Posting to the double-entry ledger, and the accounts and balances it keeps.

Every money movement in Groundwork goes through ``ledger_post``: one balanced transaction,
written inside the caller's database transaction, exactly once per ``reference``. Account rows
are updated with ``F()`` in ascending id order (rank 9 of the lock order in
``marketplace.locking``: after any assignment and task rows the caller holds); the
non-negative check constraint on balances is what refuses an overdraft, so there is never a
check-then-act.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ..errors import DomainError, InvalidInput, NotFound
from ..models import Batch, LedgerAccount, LedgerEntry, LedgerTransaction, Organization, Worker
from ..money import format_micros

Kind = LedgerAccount.Kind


class InsufficientBalance(DomainError):
    """The account that would pay cannot cover the amount (402); nothing moved."""

    status = 402
    code = "insufficient_balance"


def fee_for(price_micros: int, *, rate_ppm: int, minimum_micros: int) -> int:
    """The platform fee on one payment: ``max(minimum, round_half_up(price × rate))``."""
    exact = Decimal(price_micros) * Decimal(rate_ppm) / Decimal(1_000_000)
    return max(minimum_micros, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def current_fee_terms() -> tuple[int, int]:
    """The fee rate (ppm) and minimum (micros) from settings, as a new batch fixes them."""
    money = settings.GROUNDWORK
    return money["PLATFORM_FEE_RATE_PPM"], money["PLATFORM_FEE_MINIMUM_MICROS"]


# --- accounts ----------------------------------------------------------------------------------


def _account(kind: str, **owner: Any) -> LedgerAccount:
    try:
        with transaction.atomic():
            account, _ = LedgerAccount.objects.get_or_create(kind=kind, **owner)
    except IntegrityError:  # a concurrent creation won the unique constraint
        account = LedgerAccount.objects.get(kind=kind, **owner)
    return account


def platform_account(kind: str) -> LedgerAccount:
    if kind not in LedgerAccount.PLATFORM_KINDS:
        raise ValueError(f"{kind} is not a platform account kind")
    return _account(kind)


def requester_account(organization: Organization) -> LedgerAccount:
    return _account(Kind.REQUESTER_AVAILABLE, organization=organization)


def vendor_account(organization: Organization) -> LedgerAccount:
    return _account(Kind.VENDOR_EARNINGS, organization=organization)


def worker_account(worker: Worker | int) -> LedgerAccount:
    worker_id = worker if isinstance(worker, int) else worker.pk
    return _account(Kind.WORKER_EARNINGS, worker_id=worker_id)


def escrow_account(batch: Batch) -> LedgerAccount:
    return _account(Kind.BATCH_ESCROW, batch=batch, organization_id=batch.requester_id)


# --- posting -----------------------------------------------------------------------------------


def ledger_post(
    *,
    kind: str,
    reference: str,
    postings: Iterable[tuple[LedgerAccount, int]],
    memo: str = "",
    **links: object,
) -> tuple[LedgerTransaction, bool]:
    """Write one balanced transaction: ``postings`` are (account, signed micros), summing to
    zero (postings on one account are merged; zero amounts dropped). Returns the transaction
    and whether this call wrote it: a ``reference`` already posted returns that transaction and
    moves nothing. ``links`` (requester, batch, task, assignment, worker, payout) say what the
    money was for.

    Raises ``InsufficientBalance`` when an account other than the outside world would go below
    zero; nothing is written then. Call inside the caller's transaction to make the movement
    atomic with the state change it pays for.
    """
    merged: dict[int, tuple[LedgerAccount, int]] = {}
    for account, amount in postings:
        previous = merged.get(account.pk, (account, 0))[1]
        merged[account.pk] = (account, previous + int(amount))
    lines = [(account, amount) for account, amount in merged.values() if amount != 0]
    if sum(amount for _, amount in lines) != 0:
        raise ValueError(f"unbalanced ledger transaction {reference}: {lines}")
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = LedgerTransaction.objects.create(kind=kind, reference=reference, memo=memo[:1000], **links)
        except IntegrityError:
            return LedgerTransaction.objects.get(reference=reference), False
        for account, amount in sorted(lines, key=lambda line: line[0].pk):
            try:
                with transaction.atomic():
                    LedgerAccount.objects.filter(pk=account.pk).update(balance_micros=F("balance_micros") + amount)
            except IntegrityError:
                available = LedgerAccount.objects.values_list("balance_micros", flat=True).get(pk=account.pk)
                raise InsufficientBalance(
                    f"the {_describe(account)} holds {format_micros(available)}, {format_micros(-amount)} is needed"
                ) from None
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=record, account=account, amount_micros=amount) for account, amount in lines]
        )
    return record, True


def _describe(account: LedgerAccount) -> str:
    names: dict[str, str] = {
        Kind.REQUESTER_AVAILABLE: "available balance",
        Kind.WORKER_EARNINGS: "earnings balance",
        Kind.VENDOR_EARNINGS: "earnings balance",
        Kind.BATCH_ESCROW: "batch's escrow",
    }
    return names.get(account.kind, account.kind.replace("_", " "))


# --- operator and read paths -------------------------------------------------------------------


def deposit(
    *, organization_id: int | str, amount_micros: int, reference: str, memo: str = ""
) -> tuple[LedgerTransaction, bool]:
    """Credit a requester's available balance from the outside world (operators only: no
    requester-facing API calls this). A repeated ``reference`` moves nothing and returns the
    first transaction; the same reference for another organization or amount is refused."""
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        raise InvalidInput.for_field("reference", "must be 1 to 200 characters")
    if amount_micros <= 0:
        raise InvalidInput.for_field("amount", "must be more than zero")
    try:
        organization = Organization.objects.get(pk=int(organization_id), kind=Organization.Kind.REQUESTER)
    except (ValueError, TypeError, Organization.DoesNotExist):
        raise NotFound(f"requester organization {organization_id} not found") from None
    with transaction.atomic():
        record, created = ledger_post(
            kind=LedgerTransaction.Kind.DEPOSIT,
            reference=f"deposit:{reference.strip()}",
            memo=memo,
            requester=organization,
            postings=[
                (platform_account(Kind.OUTSIDE_WORLD), -amount_micros),
                (requester_account(organization), amount_micros),
            ],
        )
        if not created:
            credited = record.entries.filter(account__kind=Kind.REQUESTER_AVAILABLE).first()
            if record.requester_id != organization.pk or credited is None or credited.amount_micros != amount_micros:
                raise InvalidInput.for_field(
                    "reference", "was already used for another deposit (another organization or amount)"
                )
    return record, created


def transaction_as_dict(record: LedgerTransaction) -> dict:
    """A transaction as operator commands print it."""
    return {
        "transaction_id": record.pk,
        "kind": record.kind,
        "reference": record.reference,
        "created_at": record.created_at.isoformat(),
        "entries": [
            {"account": str(entry.account), "amount": format_micros(entry.amount_micros)}
            for entry in record.entries.select_related("account").order_by("id")
        ],
    }
