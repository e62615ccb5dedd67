"""Payouts: earned money leaving Groundwork, through the operator's own bank or provider.

A payee (a worker over the API, a vendor in the portal) requests a payout of its earnings; an
operator approves it, exports the approved ones for the bank or provider, and marks them paid
once the money went out (or cancels one, which gives the money back to the payee's earnings).
Every step is a compare-and-set on the payout row plus one ledger transaction:

    request:  payee earnings      → payouts requested
    approve:  payouts requested   → payouts approved
    paid:     payouts approved    → outside world
    cancel:   requested/approved  → payee earnings

No payment rails run here: ``PayoutExporter`` is the boundary where a provider plugs in
(``CsvPayoutExporter`` writes the file an operator uploads to a bank).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ..csvsafe import csv_safe
from ..errors import Conflict, InvalidInput, NotFound
from ..locking import lock_payout, locked_payouts
from ..models import LedgerAccount, LedgerTransaction, Organization, Payout, Worker
from ..money import format_micros, parse_amount_micros
from .ledger import ledger_post, platform_account, vendor_account, worker_account

Kind = LedgerAccount.Kind


class PayoutExporter(Protocol):
    """Hands approved payouts to whatever sends the money; returns what the operator keeps
    (a file's text, a provider's batch id)."""

    def export(self, payouts: Sequence[Payout]) -> str: ...


class CsvPayoutExporter:
    """A CSV an operator gives to a bank: one line per payout, amounts in USD."""

    def export(self, payouts: Sequence[Payout]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["payout_id", "payee_kind", "payee_id", "payee_name", "amount_usd", "requested_at"])
        for payout in payouts:
            if payout.worker is not None:
                kind, payee_id, name = "worker", payout.worker.pk, payout.worker.username
            else:
                assert payout.vendor is not None  # payout_has_one_payee
                kind, payee_id, name = "vendor", payout.vendor.pk, payout.vendor.name
            writer.writerow(
                [
                    payout.pk,
                    kind,
                    payee_id,
                    csv_safe(name),
                    format_micros(payout.amount_micros),
                    payout.requested_at.isoformat(),
                ]
            )
        return buffer.getvalue()


def payout_request(*, amount: object, worker: Worker | None = None, vendor: Organization | None = None) -> Payout:
    """A payee's request to be paid ``amount`` (decimal string) of its earnings: at least the
    configured minimum, at most its earnings balance (402 ``insufficient_balance`` otherwise)."""
    try:
        amount_micros = parse_amount_micros(amount)
    except ValueError as exc:
        raise InvalidInput.for_field("amount", str(exc)) from None
    minimum = settings.GROUNDWORK["PAYOUT_MINIMUM_MICROS"]
    if amount_micros < max(minimum, 1):
        raise InvalidInput.for_field("amount", f"must be at least {format_micros(max(minimum, 1))}")
    if worker is not None:
        account = worker_account(worker)
    elif vendor is not None:
        account = vendor_account(vendor)
    else:
        raise ValueError("payout_request needs a worker or a vendor")
    with transaction.atomic():
        payout = Payout.objects.create(account=account, worker=worker, vendor=vendor, amount_micros=amount_micros)
        ledger_post(
            kind=LedgerTransaction.Kind.PAYOUT_REQUEST,
            reference=f"payout:{payout.pk}:request",
            payout=payout,
            worker=worker,
            postings=[(account, -amount_micros), (platform_account(Kind.PAYOUTS_REQUESTED), amount_micros)],
        )
    return payout


def _move(
    payout_id: int | str,
    *,
    from_statuses: tuple[str, ...],
    to_status: str,
    step: str,
    tx_kind: str,
    source: LedgerAccount | None,
    target: LedgerAccount | None,
    **fields: object,
) -> Payout:
    with transaction.atomic():
        try:
            payout = lock_payout(int(payout_id))
        except (ValueError, TypeError, Payout.DoesNotExist):
            raise NotFound(f"payout {payout_id} not found") from None
        if payout.status == to_status:
            return payout  # repeating a step changes nothing
        if payout.status not in from_statuses:
            raise Conflict(f"payout {payout.pk} is {payout.status}", code="payout_not_pending")
        if source is None:  # a cancel: from whichever clearing account holds the money now
            held_in = Kind.PAYOUTS_APPROVED if payout.status == Payout.Status.APPROVED else Kind.PAYOUTS_REQUESTED
            source = platform_account(held_in)
        target = target or payout.account
        Payout.objects.filter(pk=payout.pk, status=payout.status).update(status=to_status, **fields)
        ledger_post(
            kind=tx_kind,
            reference=f"payout:{payout.pk}:{step}",
            payout=payout,
            worker_id=payout.worker_id,
            postings=[(source, -payout.amount_micros), (target, payout.amount_micros)],
        )
        payout.refresh_from_db()
    return payout


def payout_approve(*, payout_id: int | str) -> Payout:
    return _move(
        payout_id,
        from_statuses=(Payout.Status.REQUESTED,),
        to_status=Payout.Status.APPROVED,
        step="approve",
        tx_kind=LedgerTransaction.Kind.PAYOUT_APPROVE,
        source=platform_account(Kind.PAYOUTS_REQUESTED),
        target=platform_account(Kind.PAYOUTS_APPROVED),
        approved_at=timezone.now(),
    )


def payout_mark_paid(*, payout_id: int | str, external_reference: str) -> Payout:
    if not isinstance(external_reference, str) or not 0 < len(external_reference.strip()) <= 200:
        raise InvalidInput.for_field("external_reference", "must be 1 to 200 characters (the bank's reference)")
    return _move(
        payout_id,
        from_statuses=(Payout.Status.APPROVED,),
        to_status=Payout.Status.PAID,
        step="paid",
        tx_kind=LedgerTransaction.Kind.PAYOUT_PAID,
        source=platform_account(Kind.PAYOUTS_APPROVED),
        target=platform_account(Kind.OUTSIDE_WORLD),
        paid_at=timezone.now(),
        external_reference=external_reference.strip(),
    )


def payout_cancel(*, payout_id: int | str, note: str = "") -> Payout:
    """Cancel a payout not yet paid: its money goes back to the payee's earnings."""
    return _move(
        payout_id,
        from_statuses=(Payout.Status.REQUESTED, Payout.Status.APPROVED),
        to_status=Payout.Status.CANCELLED,
        step="cancel",
        tx_kind=LedgerTransaction.Kind.PAYOUT_CANCEL,
        source=None,
        target=None,
        cancelled_at=timezone.now(),
        note=note[:1000],
    )


def payouts_export(
    *, deliver: Callable[[str], object], exporter: PayoutExporter | None = None
) -> tuple[list[Payout], str]:
    """Hand every approved payout not exported yet to ``exporter`` (CSV by default), pass what
    it returns to ``deliver`` (write the file, upload it) and stamp them exported, all in one
    transaction: when ``deliver`` raises, nothing is stamped and the next export includes them
    again. Returns the payouts and the export. Payouts stay ``approved`` until an operator
    marks them paid."""
    exporter = exporter or CsvPayoutExporter()
    with transaction.atomic():
        payouts = list(
            locked_payouts(
                Payout.objects.select_related("worker", "vendor").filter(
                    status=Payout.Status.APPROVED, exported_at__isnull=True
                )
            )
        )
        exported = exporter.export(payouts)
        deliver(exported)
        Payout.objects.filter(pk__in=[p.pk for p in payouts]).update(exported_at=timezone.now())
    return payouts, exported


def paid_out_micros(*, worker: Worker | None = None, vendor: Organization | None = None) -> int:
    payouts = Payout.objects.filter(status=Payout.Status.PAID)
    payouts = payouts.filter(worker=worker) if worker is not None else payouts.filter(vendor=vendor)
    return payouts.aggregate(total=Sum("amount_micros"))["total"] or 0


def payout_as_dict(payout: Payout) -> dict:
    return {
        "id": payout.pk,
        "amount": format_micros(payout.amount_micros),
        "status": payout.status,
        "requested_at": payout.requested_at.isoformat() if payout.requested_at else None,
        "approved_at": payout.approved_at.isoformat() if payout.approved_at else None,
        "paid_at": payout.paid_at.isoformat() if payout.paid_at else None,
        "cancelled_at": payout.cancelled_at.isoformat() if payout.cancelled_at else None,
        "external_reference": payout.external_reference,
    }
