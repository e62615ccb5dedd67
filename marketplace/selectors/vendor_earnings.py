"""A vendor's earnings, read from the ledger (the truth for money): totals per requester and per
batch, and monthly statements that reconcile with the account balance to the micro-dollar.

Everything here reads ``LedgerEntry`` rows on the vendor's ``vendor_earnings`` account (credited
by ``assignment_pay`` for work on its workteams, debited by payout requests, credited back by
cancelled payouts), joined to their ``LedgerTransaction`` for what the money was for. Months are
calendar months in UTC, by the transaction's ``created_at``. The invariant the statement keeps:
``opening + sum(entries) == closing``, and the closing balance of the month holding the latest
entry equals ``account_balance_micros`` of the account.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, Q, QuerySet, Sum

from ..csvsafe import csv_safe
from ..errors import InvalidInput
from ..models import LedgerAccount, LedgerEntry, LedgerTransaction, Organization
from ..money import format_micros

EARNING_KINDS = (LedgerTransaction.Kind.ASSIGNMENT_PAYMENT, LedgerTransaction.Kind.BONUS)


def vendor_entries(vendor: Organization) -> QuerySet[LedgerEntry]:
    """Every entry on the vendor's earnings account (none when nobody ever paid it)."""
    return LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.VENDOR_EARNINGS, account__organization=vendor)


@dataclass(frozen=True)
class EarningsTotal:
    """Money earned for one requester or one batch: the sum of payment entries and how many
    assignments they paid."""

    key_id: int | None
    name: str
    earned_micros: int
    assignments: int

    @property
    def earned(self) -> str:
        return format_micros(self.earned_micros)


def _earning_rows(vendor: Organization, group: tuple[str, ...]) -> QuerySet:
    return (
        vendor_entries(vendor)
        .filter(transaction__kind__in=EARNING_KINDS)
        .values(*group)
        .annotate(
            earned=Sum("amount_micros"),
            assignments=Count("id", filter=Q(transaction__kind=LedgerTransaction.Kind.ASSIGNMENT_PAYMENT)),
        )
        .order_by("-earned", group[0])
    )


def earnings_by_requester(vendor: Organization) -> list[EarningsTotal]:
    """Earned per requester, largest first."""
    rows = _earning_rows(vendor, ("transaction__requester_id", "transaction__requester__name"))
    return [
        EarningsTotal(
            row["transaction__requester_id"],
            row["transaction__requester__name"] or "",
            row["earned"],
            row["assignments"],
        )
        for row in rows
    ]


def earnings_by_batch(vendor: Organization) -> list[EarningsTotal]:
    """Earned per batch, largest first; ``name`` is the requester's name (a caller in
    ``labeling`` maps batches to jobs, which this app knows nothing of)."""
    rows = _earning_rows(vendor, ("transaction__batch_id", "transaction__requester__name"))
    return [
        EarningsTotal(
            row["transaction__batch_id"], row["transaction__requester__name"] or "", row["earned"], row["assignments"]
        )
        for row in rows
    ]


def earned_total_micros(vendor: Organization) -> int:
    """Everything ever earned (payments in, whatever was paid out since)."""
    total = vendor_entries(vendor).filter(transaction__kind__in=EARNING_KINDS).aggregate(total=Sum("amount_micros"))
    return total["total"] or 0


# --- monthly statements -----------------------------------------------------------------------


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` → [first instant of the month, first instant of the next) in UTC."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = datetime(year, number, 1, tzinfo=UTC)
        end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=UTC)  # 9999-12 has no end
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise InvalidInput.for_field("month", "must be a month such as 2026-11") from None
    return start, end


def current_month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def statement_months(vendor: Organization, *, now: datetime) -> list[str]:
    """Months with entries, newest first, always including the current month."""
    months = {current_month(now)}
    first = (
        vendor_entries(vendor)
        .order_by("transaction__created_at")
        .values_list("transaction__created_at", flat=True)
        .first()
    )
    if first is not None:
        cursor = datetime(first.year, first.month, 1, tzinfo=UTC)
        while cursor <= now:
            months.add(cursor.strftime("%Y-%m"))
            cursor = datetime(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1, tzinfo=UTC)
    return sorted(months, reverse=True)


@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    created_at: datetime
    kind: str
    amount_micros: int
    balance_micros: int  # the running balance after this entry
    requester_name: str
    batch_id: int | None
    task_id: int | None
    assignment_id: int | None
    payout_id: int | None
    memo: str


@dataclass(frozen=True)
class MonthlyStatement:
    """One calendar month (UTC) of the vendor's earnings account."""

    month: str
    start: datetime
    end: datetime
    opening_micros: int
    closing_micros: int
    earned_micros: int  # payments in this month
    paid_out_micros: int  # net of payout requests and cancellations (positive: money out)
    lines: list[StatementLine]


def monthly_statement(vendor: Organization, month: str) -> MonthlyStatement:
    """The month's statement: opening balance (every entry before the month), each entry with
    the running balance, closing balance. ``closing == opening + sum(lines)`` by construction."""
    start, end = month_bounds(month)
    entries = vendor_entries(vendor)
    opening = entries.filter(transaction__created_at__lt=start).aggregate(total=Sum("amount_micros"))["total"] or 0
    rows = (
        entries.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
        .select_related("transaction", "transaction__requester")
        .order_by("transaction__created_at", "id")
    )
    lines: list[StatementLine] = []
    balance = opening
    earned = paid_out = 0
    for entry in rows.iterator(chunk_size=2000):
        record = entry.transaction
        balance += entry.amount_micros
        if record.kind in EARNING_KINDS:
            earned += entry.amount_micros
        else:
            paid_out -= entry.amount_micros
        lines.append(
            StatementLine(
                entry_id=entry.pk,
                created_at=record.created_at,
                kind=record.kind,
                amount_micros=entry.amount_micros,
                balance_micros=balance,
                requester_name=record.requester.name if record.requester else "",
                batch_id=record.batch_id,
                task_id=record.task_id,
                assignment_id=record.assignment_id,
                payout_id=record.payout_id,
                memo=record.memo,
            )
        )
    return MonthlyStatement(
        month=start.strftime("%Y-%m"),
        start=start,
        end=end,
        opening_micros=opening,
        closing_micros=balance,
        earned_micros=earned,
        paid_out_micros=paid_out,
        lines=lines,
    )


STATEMENT_COLUMNS = (
    "entry_id",
    "created_at",
    "kind",
    "requester",
    "job",
    "batch_id",
    "task_id",
    "assignment_id",
    "payout_id",
    "amount",
    "balance",
    "memo",
)


def statement_csv_rows(statement: MonthlyStatement, job_names: dict[int, str] | None = None) -> Iterator[list]:
    """The statement as CSV rows: the header, an ``opening_balance`` row, one row per entry, a
    ``closing_balance`` row. Amounts are decimal strings in USD; every text cell goes through
    ``csv_safe`` (requester names, job names and memos are requester-controlled).
    ``job_names`` maps batch ids to job names (given by the labeling app)."""
    job_names = job_names or {}
    yield list(STATEMENT_COLUMNS)
    blank = [""] * (len(STATEMENT_COLUMNS) - 6)  # requester … payout_id
    yield ["", statement.start.isoformat(), "opening_balance", *blank, "", format_micros(statement.opening_micros), ""]
    for line in statement.lines:
        yield [
            line.entry_id,
            line.created_at.isoformat(),
            line.kind,
            csv_safe(line.requester_name),
            csv_safe(job_names.get(line.batch_id, "")) if line.batch_id else "",
            line.batch_id or "",
            line.task_id or "",
            line.assignment_id or "",
            line.payout_id or "",
            format_micros(line.amount_micros),
            format_micros(line.balance_micros),
            csv_safe(line.memo),
        ]
    yield ["", statement.end.isoformat(), "closing_balance", *blank, "", format_micros(statement.closing_micros), ""]


def statement_csv(statement: MonthlyStatement, job_names: dict[int, str] | None = None) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(statement_csv_rows(statement, job_names))
    return buffer.getvalue()
