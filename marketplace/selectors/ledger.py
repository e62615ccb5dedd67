"""Reads of the ledger: statements (the entries of a requester's or a payee's accounts, as rows
for the API, paginated JSON, and for spreadsheets, CSV with formula-looking text neutralised)
and payouts. A vendor's earnings and monthly statements are ``vendor_earnings``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import QuerySet, Sum

from ..csvsafe import csv_safe
from ..errors import InvalidInput
from ..models import LedgerAccount, LedgerEntry, Organization, Payout, Worker
from ..money import format_micros

Kind = LedgerAccount.Kind
ACCOUNT_NAMES: dict[str, str] = {
    Kind.REQUESTER_AVAILABLE: "available",
    Kind.BATCH_ESCROW: "escrow",
    Kind.WORKER_EARNINGS: "earnings",
    Kind.VENDOR_EARNINGS: "earnings",
}
REQUESTER_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "account",
    "amount",
    "batch_id",
    "task_id",
    "assignment_id",
    "worker_id",
    "memo",
)
PAYEE_COLUMNS = ("id", "created_at", "kind", "amount", "task_id", "assignment_id", "payout_id", "memo")


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise InvalidInput.for_field(field, "must be a date such as 2026-11-01") from None


def _period(entries: QuerySet[LedgerEntry], since: str | None, until: str | None) -> QuerySet[LedgerEntry]:
    start, end = _day(since, "from"), _day(until, "to")
    if start:
        entries = entries.filter(transaction__created_at__gte=start)
    if end:
        entries = entries.filter(transaction__created_at__lt=end)
    return entries


def requester_statement(
    organization: Organization, *, account: str | None = None, since: str | None = None, until: str | None = None
) -> QuerySet[LedgerEntry]:
    """Entries on the requester's available balance and its batches' escrow (``account``:
    ``available`` or ``escrow`` for one of them), in the UTC days [``since``, ``until``)."""
    kinds = {
        "available": [Kind.REQUESTER_AVAILABLE],
        "escrow": [Kind.BATCH_ESCROW],
        None: [Kind.REQUESTER_AVAILABLE, Kind.BATCH_ESCROW],
    }
    if account not in kinds:
        raise InvalidInput.for_field("account", "must be available or escrow")
    entries = LedgerEntry.objects.select_related("transaction", "account").filter(
        account__organization=organization, account__kind__in=kinds[account]
    )
    return _period(entries, since, until)


def payee_statement(
    *,
    worker: Worker | None = None,
    vendor: Organization | None = None,
    since: str | None = None,
    until: str | None = None,
) -> QuerySet[LedgerEntry]:
    """Entries on a worker's (or a vendor's) earnings account."""
    entries = LedgerEntry.objects.select_related("transaction", "account")
    if worker is not None:
        entries = entries.filter(account__kind=Kind.WORKER_EARNINGS, account__worker=worker)
    else:
        entries = entries.filter(account__kind=Kind.VENDOR_EARNINGS, account__organization=vendor)
    return _period(entries, since, until)


def statement_row(entry: LedgerEntry) -> dict:
    record = entry.transaction
    return {
        "id": entry.pk,
        "created_at": record.created_at.isoformat(),
        "kind": record.kind,
        "account": ACCOUNT_NAMES.get(entry.account.kind, entry.account.kind),
        "amount": format_micros(entry.amount_micros),
        "batch_id": entry.account.batch_id or record.batch_id,
        "task_id": record.task_id,
        "assignment_id": record.assignment_id,
        "worker_id": record.worker_id,
        "payout_id": record.payout_id,
        "memo": record.memo,
    }


def statement_csv(entries: QuerySet[LedgerEntry], columns: tuple[str, ...]) -> Iterator[str]:
    """The entries as CSV text, a line at a time (for a streaming response), oldest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield flush()
    for entry in entries.order_by("id").iterator(chunk_size=2000):
        row = statement_row(entry)
        writer.writerow([csv_safe(row[column]) if column == "memo" else row[column] for column in columns])
        yield flush()


def worker_payouts(worker: Worker) -> QuerySet[Payout]:
    """The worker's payouts (unordered: a paginated list orders them)."""
    return Payout.objects.filter(worker=worker)


def vendor_recent_payouts(vendor: Organization, *, limit: int) -> list[Payout]:
    """The vendor's latest ``limit`` payouts, newest first."""
    return list(Payout.objects.filter(vendor=vendor).order_by("-pk")[:limit])


@dataclass(frozen=True)
class Balance:
    available_micros: int
    on_hold_micros: int


def account_balance_micros(kind: str, **owner: object) -> int:
    """An account's balance without creating it (an account nobody paid into holds 0)."""
    balance = LedgerAccount.objects.filter(kind=kind, **owner).values_list("balance_micros", flat=True).first()
    return balance or 0


def requester_balance(organization: Organization) -> Balance:
    """Available money, and money on hold in the escrow of its batches."""
    totals = dict(
        LedgerAccount.objects.filter(organization=organization, kind__in=[Kind.REQUESTER_AVAILABLE, Kind.BATCH_ESCROW])
        .values("kind")
        .annotate(total=Sum("balance_micros"))
        .values_list("kind", "total")
    )
    return Balance(
        available_micros=totals.get(Kind.REQUESTER_AVAILABLE) or 0, on_hold_micros=totals.get(Kind.BATCH_ESCROW) or 0
    )
