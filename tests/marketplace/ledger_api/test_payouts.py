"""Payouts, operator deposits, and a ledger that is append-only."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from marketplace.models import Assignment, Batch, LedgerEntry, LedgerTransaction, Payout
from tests.marketplace.ledger_api.helpers import (
    DOLLARS,
    Kind,
    approve,
    balance,
    command,
    error,
    ledger_state,
    me,
    platform_micros,
    request_payout,
)


@pytest.mark.parametrize(
    ("amount", "status", "field"),
    [
        (None, 400, ["amount"]),
        ("0.99", 400, ["amount"]),
        ("-1", 400, ["amount"]),
        ("1.0000001", 400, ["amount"]),
        (2, 201, None),
        ("5.000001", 402, []),
    ],
)
def test_a_payout_request_is_at_least_the_minimum_and_at_most_the_earnings(earner, amount, status, field):
    # given
    before = ledger_state()
    # when
    response = request_payout(earner, amount)
    # then
    assert response.status_code == status, response.content
    if status == 201:
        assert me(earner) == {"earnings": "3.00", "paid_out": "0.00"}
    else:
        assert error(response)[2] == field
        assert ledger_state() == before
        assert Payout.objects.count() == 0
        assert me(earner) == {"earnings": "5.00", "paid_out": "0.00"}


def test_a_payout_goes_through_approve_export_and_mark_paid(earner, tmp_path):
    # given
    response = request_payout(earner, "3.00")
    assert response.status_code == 201
    payout_id = response.json()["id"]
    assert response.json()["status"] == "requested"
    outside_before = platform_micros(Kind.OUTSIDE_WORLD)
    assert me(earner) == {"earnings": "2.00", "paid_out": "0.00"}
    assert platform_micros(Kind.PAYOUTS_REQUESTED) == 3 * DOLLARS
    # when approved
    approved = command("payouts", "approve", str(payout_id))
    # then
    assert [(p["id"], p["status"], p["amount"]) for p in approved["payouts"]] == [(payout_id, "approved", "3.00")]
    assert (platform_micros(Kind.PAYOUTS_REQUESTED), platform_micros(Kind.PAYOUTS_APPROVED)) == (0, 3 * DOLLARS)
    assert command("payouts", "list", "--status", "approved")["payouts"][0]["id"] == payout_id
    # when exported
    exported = command("payouts", "export", "--output", str(tmp_path / "payouts.csv"))
    # then
    assert exported == {"file": str(tmp_path / "payouts.csv"), "payout_ids": [payout_id]}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "payouts.csv").read_text())))
    assert [(r["payout_id"], r["payee_kind"], r["payee_id"], r["payee_name"], r["amount_usd"]) for r in rows] == [
        (str(payout_id), "worker", str(earner.pk), earner.username, "3.00")
    ]
    assert command("payouts", "export", "--output", str(tmp_path / "again.csv"))["payout_ids"] == []
    with pytest.raises(CommandError):
        call_command("payouts", "export", "--output", str(tmp_path / "payouts.csv"), stdout=io.StringIO())
    assert me(earner) == {"earnings": "2.00", "paid_out": "0.00"}
    # when marked paid (twice: the second changes nothing)
    paid = command("payouts", "mark-paid", str(payout_id), "--external-reference", "bank-42")
    after_paid = ledger_state()
    command("payouts", "mark-paid", str(payout_id), "--external-reference", "bank-42")
    # then
    assert [(p["status"], p["external_reference"]) for p in paid["payouts"]] == [("paid", "bank-42")]
    assert ledger_state() == after_paid
    assert me(earner) == {"earnings": "2.00", "paid_out": "3.00"}
    assert platform_micros(Kind.PAYOUTS_APPROVED) == 0
    assert platform_micros(Kind.OUTSIDE_WORLD) == outside_before + 3 * DOLLARS
    listed = earner.client.get("/api/v1/worker/payouts").json()["results"]
    assert [(p["id"], p["status"], p["amount"], p["external_reference"]) for p in listed] == [
        (payout_id, "paid", "3.00", "bank-42")
    ]
    statement = earner.client.get("/api/v1/worker/statement").json()["results"]
    assert [(r["kind"], r["amount"], r["payout_id"]) for r in statement][-1] == ("payout_request", "-3.00", payout_id)
    # and a paid payout cannot be cancelled
    with pytest.raises(CommandError):
        call_command("payouts", "cancel", str(payout_id), stdout=io.StringIO())
    assert ledger_state() == after_paid


@pytest.mark.parametrize("approve_first", [False, True])
def test_cancelling_a_payout_gives_the_money_back(earner, approve_first):
    # given
    payout_id = request_payout(earner, "1.50").json()["id"]
    if approve_first:
        command("payouts", "approve", str(payout_id))
    assert me(earner)["earnings"] == "3.50"
    # when
    cancelled = command("payouts", "cancel", str(payout_id), "--note", "wrong account")
    # then
    assert cancelled["payouts"][0]["status"] == "cancelled"
    assert me(earner) == {"earnings": "5.00", "paid_out": "0.00"}
    assert (platform_micros(Kind.PAYOUTS_REQUESTED), platform_micros(Kind.PAYOUTS_APPROVED)) == (0, 0)
    # and it can no longer be approved or paid
    before = ledger_state()
    for args in (("approve", str(payout_id)), ("mark-paid", str(payout_id), "--external-reference", "x")):
        with pytest.raises(CommandError):
            call_command("payouts", *args, stdout=io.StringIO())
    assert ledger_state() == before


def test_an_unknown_payout_is_a_command_error(db):
    with pytest.raises(CommandError):
        call_command("payouts", "approve", "999999", stdout=io.StringIO())


def test_deposit_prints_the_transaction_and_a_repeated_reference_moves_nothing(make_requester):
    # given
    requester = make_requester(balance_micros=0)
    org = requester.organization
    # when
    first = command("deposit", str(org.pk), "250.00", "--reference", "wire-1", "--memo", "March")
    after_first = ledger_state()
    repeated = command("deposit", str(org.pk), "250.00", "--reference", "wire-1")
    # then
    assert {k: v for k, v in first.items() if k not in ("transaction_id", "created_at", "entries")} == {
        "kind": "deposit",
        "reference": "deposit:wire-1",
        "created": True,
    }
    assert sorted(first["entries"], key=lambda e: e["amount"]) == [
        {"account": "outside_world", "amount": "-250.00"},
        {"account": f"requester_available {org.pk}", "amount": "250.00"},
    ]
    assert repeated == {**first, "created": False}
    assert ledger_state() == after_first
    assert balance(requester) == {"available": "250.00", "on_hold": "0.00"}


@pytest.mark.parametrize(
    "args",
    [
        ("{org}", "300.00", "--reference", "wire-1"),  # the same reference, another amount
        ("{other}", "250.00", "--reference", "wire-1"),  # the same reference, another organization
        ("{org}", "0", "--reference", "wire-2"),
        ("{org}", "-5", "--reference", "wire-2"),
        ("{org}", "1.0000001", "--reference", "wire-2"),
        ("{org}", "lots", "--reference", "wire-2"),
        ("999999999", "1.00", "--reference", "wire-2"),
        ("{org}", "1.00", "--reference", " "),
    ],
)
def test_a_bad_deposit_is_a_command_error_and_moves_nothing(make_requester, args):
    # given
    requester = make_requester(balance_micros=0)
    other = make_requester(balance_micros=0)
    command("deposit", str(requester.organization.pk), "250.00", "--reference", "wire-1")
    before = ledger_state()
    # when / then
    with pytest.raises(CommandError):
        call_command(
            "deposit",
            *(a.format(org=requester.organization.pk, other=other.organization.pk) for a in args),
            stdout=io.StringIO(),
        )
    assert ledger_state() == before


def test_a_vendor_cannot_receive_a_deposit(db):
    from marketplace.services.organizations import vendor_create

    vendor = vendor_create(name="vendor-1")
    organization_id = vendor.organization.pk
    with pytest.raises(CommandError):
        call_command("deposit", str(organization_id), "1.00", "--reference", "v-1", stdout=io.StringIO())
    assert LedgerTransaction.objects.count() == 0


def test_the_ledger_refuses_updates_and_deletes(worked):
    # given
    requester, _, assignment_id = worked
    approve(requester, assignment_id)
    entry = LedgerEntry.objects.order_by("id").first()
    record = entry.transaction
    before = ledger_state()
    # when / then: updates are refused by the database
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_micros=entry.amount_micros + 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.amount_micros += 1
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=record.pk).update(memo="rewritten")
    # and deletes: on PostgreSQL by the database, everywhere by the protecting foreign keys
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk)._raw_delete(LedgerEntry.objects.db)
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerTransaction.objects.filter(pk=record.pk)._raw_delete(LedgerTransaction.objects.db)
    with pytest.raises(ProtectedError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=record.pk).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Assignment.objects.filter(pk=assignment_id).delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Batch.objects.all().delete()
    assert ledger_state() == before
