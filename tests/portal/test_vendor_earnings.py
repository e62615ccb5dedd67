"""The vendor earnings service (marketplace.selectors.vendor_earnings): totals per requester and
per batch, and monthly statements that chain month to month and end on the ledger's balance."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

from marketplace.errors import InvalidInput
from marketplace.models import LedgerAccount
from marketplace.selectors import vendor_earnings
from marketplace.selectors.ledger import account_balance_micros
from marketplace.services.payouts import payout_cancel, payout_request

from .vendor_world import answer_next, approve, make_vendor, make_worker, post_job, subscribe

pytestmark = pytest.mark.django_db

OCTOBER = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 1, 0, 0, 0, tzinfo=UTC)


def at(moment: datetime):
    """Ledger rows written inside get ``moment`` as their ``created_at``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_statements_chain_across_months_and_end_on_the_ledger_balance(make_requester, storage_root, settings):
    # given: two requesters; one payment on the last second of October, two in November, a
    # payout requested and one cancelled in November
    settings.GROUNDWORK = {**settings.GROUNDWORK, "PAYOUT_MINIMUM_MICROS": 0}
    first, second = make_requester("First"), make_requester("Second")
    vendor = make_vendor()
    subscribe(first, vendor)
    subscribe(second, vendor)
    worker = make_worker(vendor)
    job_first = post_job(
        first, vendor, storage_root, name="first-job", lines=[{"source": "a: cat"}, {"source": "b: dog"}]
    )
    first_assignments = [answer_next(worker), answer_next(worker)]
    with at(OCTOBER):
        approve(first, first_assignments[0])
    approve(first, first_assignments[1])
    job_second = post_job(second, vendor, storage_root, name="second-job", lines=[{"source": "c: cat"}])
    approve(second, answer_next(worker))
    organization = vendor.organization
    payout_request(amount="0.02", vendor=organization)
    cancelled = payout_request(amount="0.01", vendor=organization)
    payout_cancel(payout_id=cancelled.pk)
    balance = account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=organization)
    # when
    october = vendor_earnings.monthly_statement(organization, "2026-10")
    november = vendor_earnings.monthly_statement(organization, vendor_earnings.current_month(datetime.now(UTC)))
    # then
    assert (october.opening_micros, october.closing_micros, len(october.lines)) == (0, 50_000, 1)
    assert october.lines[0].requester_name == "First"
    assert november.month >= "2026-11"
    if november.month == "2026-11":
        assert november.opening_micros == october.closing_micros
    assert november.closing_micros == balance == 3 * 50_000 - 20_000
    assert november.earned_micros == 100_000 and november.paid_out_micros == 20_000
    assert [line.balance_micros for line in november.lines][-1] == balance
    assert sum(line.amount_micros for line in november.lines) == november.closing_micros - november.opening_micros
    by_requester = {
        row.name: (row.earned_micros, row.assignments) for row in vendor_earnings.earnings_by_requester(organization)
    }
    assert by_requester == {"First": (100_000, 2), "Second": (50_000, 1)}
    by_batch = {row.key_id: row.earned_micros for row in vendor_earnings.earnings_by_batch(organization)}
    assert by_batch == {job_first.batch_id: 100_000, job_second.batch_id: 50_000}
    assert vendor_earnings.earned_total_micros(organization) == 150_000


def test_month_bounds_are_calendar_months_in_utc():
    assert vendor_earnings.month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    for bad in ("2026-00", "2026-13", "2026", "", "x-y"):
        with pytest.raises(InvalidInput):
            vendor_earnings.month_bounds(bad)


def test_the_months_offered_run_from_the_first_entry_to_now(storage_root, requester):
    vendor = make_vendor()
    subscribe(requester, vendor)
    post_job(requester, vendor, storage_root)
    worker = make_worker(vendor)
    assignment_id = answer_next(worker)
    with at(datetime(2026, 8, 15, tzinfo=UTC)):
        approve(requester, assignment_id)
    months = vendor_earnings.statement_months(vendor.organization, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert months == ["2026-11", "2026-10", "2026-09", "2026-08"]


def test_a_vendor_nobody_paid_has_an_empty_statement():
    vendor = make_vendor()
    statement = vendor_earnings.monthly_statement(vendor.organization, "2026-11")
    assert (statement.opening_micros, statement.closing_micros, statement.lines) == (0, 0, [])
    assert vendor_earnings.earnings_by_requester(vendor.organization) == []
