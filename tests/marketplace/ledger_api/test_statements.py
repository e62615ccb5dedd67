"""Statements: every entry of an account, as JSON pages or CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Assignment, Task
from tests.marketplace.ledger_api.helpers import approve, balance, bonus, error, me
from tests.support.factories import client_with

FORMULA = '=HYPERLINK("http://evil.example","click")'


def _statement_setup(worked):
    requester, worker, assignment_id = worked
    assert approve(requester, assignment_id).status_code == 200
    assert bonus(requester, {"worker_id": worker.pk, "amount": "1.00", "reason": FORMULA}).status_code == 201
    return requester, worker, assignment_id


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_requester_statement_lists_every_entry_exactly(worked):
    # given
    requester, worker, assignment_id = _statement_setup(worked)
    task_id = Assignment.objects.get(pk=assignment_id).task_id
    batch_id = Task.objects.get(pk=task_id).batch_id
    # when
    response = client_with(requester.api_key).get("/api/v1/statement")
    # then
    assert response.status_code == 200
    assert response.json()["next"] is None
    rows = [
        {k: row[k] for k in ("kind", "account", "amount", "batch_id", "task_id", "assignment_id", "worker_id", "memo")}
        for row in response.json()["results"]
    ]
    assert rows == [
        {
            "kind": "deposit",
            "account": "available",
            "amount": "10.00",
            "batch_id": None,
            "task_id": None,
            "assignment_id": None,
            "worker_id": None,
            "memo": "",
        },
        {
            "kind": "escrow_reserve",
            "account": "available",
            "amount": "-0.06",
            "batch_id": batch_id,
            "task_id": None,
            "assignment_id": None,
            "worker_id": None,
            "memo": "",
        },
        {
            "kind": "escrow_reserve",
            "account": "escrow",
            "amount": "0.06",
            "batch_id": batch_id,
            "task_id": None,
            "assignment_id": None,
            "worker_id": None,
            "memo": "",
        },
        {
            "kind": "assignment_payment",
            "account": "escrow",
            "amount": "-0.06",
            "batch_id": batch_id,
            "task_id": task_id,
            "assignment_id": assignment_id,
            "worker_id": worker.pk,
            "memo": "",
        },
        {
            "kind": "bonus",
            "account": "available",
            "amount": "-1.20",
            "batch_id": None,
            "task_id": None,
            "assignment_id": None,
            "worker_id": worker.pk,
            "memo": FORMULA,
        },
    ]
    assert "payout_id" not in response.json()["results"][0]
    # and one account only
    escrow = client_with(requester.api_key).get("/api/v1/statement?account=escrow").json()["results"]
    assert [row["amount"] for row in escrow] == ["0.06", "-0.06"]


def test_the_statement_csv_neutralises_formulas_and_adds_up_to_the_balance(worked):
    # given
    requester, _, _ = _statement_setup(worked)
    client = client_with(requester.api_key)
    # when
    every = _csv_rows(client.get("/api/v1/statement?format=csv"))
    available = _csv_rows(client.get("/api/v1/statement?format=csv&account=available"))
    # then
    assert list(every[0]) == [
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
    ]
    assert [row["memo"] for row in every if row["kind"] == "bonus"] == ["'" + FORMULA]
    now = balance(requester)
    assert sum(Decimal(row["amount"]) for row in every) == Decimal(now["available"]) + Decimal(now["on_hold"])
    assert sum(Decimal(row["amount"]) for row in available) == Decimal(now["available"]) == Decimal("8.74")


def test_the_statement_period_is_in_utc_days(worked):
    # given
    requester, _, _ = _statement_setup(worked)
    client = client_with(requester.api_key)
    today = timezone.now().date()
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    # when / then: [from, to)
    assert len(client.get(f"/api/v1/statement?from={today}").json()["results"]) == 5
    assert client.get(f"/api/v1/statement?from={tomorrow}").json()["results"] == []
    assert client.get(f"/api/v1/statement?to={today}").json()["results"] == []
    assert len(client.get(f"/api/v1/statement?from={today}&to={tomorrow}").json()["results"]) == 5
    assert _csv_rows(client.get(f"/api/v1/statement?format=csv&from={tomorrow}")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("account=fees", "account"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("limit=0", "limit"),
    ],
)
def test_bad_statement_parameters_are_a_400_naming_them(worked, query, field):
    requester, _, _ = worked
    response = client_with(requester.api_key).get(f"/api/v1/statement?{query}")
    assert error(response) == (400, "invalid", [field])


def test_the_worker_statement_lists_its_earnings(worked):
    # given
    requester, worker, assignment_id = _statement_setup(worked)
    # when
    response = worker.client.get("/api/v1/worker/statement")
    rows = _csv_rows(worker.client.get("/api/v1/worker/statement?format=csv"))
    # then
    assert response.status_code == 200
    assert [(r["kind"], r["amount"], r["assignment_id"], r["memo"]) for r in response.json()["results"]] == [
        ("assignment_payment", "0.05", assignment_id, ""),
        ("bonus", "1.00", None, FORMULA),
    ]
    assert sorted(response.json()["results"][0]) == [
        "amount",
        "assignment_id",
        "created_at",
        "id",
        "kind",
        "memo",
        "payout_id",
        "task_id",
    ]
    assert list(rows[0]) == ["id", "created_at", "kind", "amount", "task_id", "assignment_id", "payout_id", "memo"]
    assert rows[1]["memo"] == "'" + FORMULA
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(me(worker)["earnings"]) == Decimal("1.05")


def test_a_statement_shows_only_the_callers_entries(worked, make_requester, make_worker):
    # given
    _statement_setup(worked)
    other = make_requester(balance_micros=0)
    newcomer = make_worker()
    # when / then
    assert client_with(other.api_key).get("/api/v1/statement").json()["results"] == []
    assert newcomer.client.get("/api/v1/worker/statement").json()["results"] == []
    assert balance(other) == {"available": "0.00", "on_hold": "0.00"}
