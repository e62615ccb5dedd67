"""The payments ledger through the real routes, with exact figures (DESIGN.md "Money", rule 4).

Fees (rate and minimum, half-up rounding, fixed on the batch), escrow at posting and its release
on reject, stop, close and expiry, payment on approval (exactly once), adding slots, bonuses,
statements (JSON and CSV), worker earnings and payouts (API and the ``payouts`` command),
operator deposits (the ``deposit`` command), the append-only ledger, and a labeling job that
its requester cannot afford.

Defaults (config/settings.py): fee 20 % with a $0.01 minimum, payout minimum $1.00. A task of
reward $0.05 therefore costs $0.06 a slot.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.inputs.tasks import task_spec
from marketplace.models import (
    Assignment,
    Batch,
    IdempotencyRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    Task,
)
from marketplace.money import format_micros
from marketplace.services.batches import (
    batch_finish,
    batch_open,
    batch_tasks_create,
    tasks_add_slot,
    tasks_close_early,
)
from marketplace.services.ledger import fee_for
from marketplace.services.sweeps import run_sweeps
from marketplace.services.workteams import public_workforce
from tests.conftest import client_with

NEXT_URL = "/api/v1/worker/tasks/next"
DOLLARS = 1_000_000
Kind = LedgerAccount.Kind


# --- helpers ----------------------------------------------------------------------------------


def ledger_state() -> dict:
    """Every account's balance (accounts holding nothing left out: they may be created lazily)
    and how many transactions and entries exist: "nothing moved" means this is the same before
    and after."""
    return {
        "balances": dict(LedgerAccount.objects.exclude(balance_micros=0).values_list("id", "balance_micros")),
        "transactions": LedgerTransaction.objects.count(),
        "entries": LedgerEntry.objects.count(),
    }


def balance(requester) -> dict:
    response = client_with(requester.api_key).get("/api/v1/balance")
    assert response.status_code == 200, response.content
    return response.json()


def me(worker) -> dict:
    response = worker.client.get("/api/v1/worker/me")
    assert response.status_code == 200, response.content
    return {key: response.json()[key] for key in ("earnings", "paid_out")}


def platform_micros(kind: str) -> int:
    return LedgerAccount.objects.filter(kind=kind).values_list("balance_micros", flat=True).first() or 0


def post_task(requester, **fields) -> dict:
    fields.setdefault("title", "a task")
    fields.setdefault("reward", "0.05")
    response = client_with(requester.api_key).post("/api/v1/tasks", fields, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def claim(worker) -> int:
    response = worker.client.post(NEXT_URL)
    assert response.status_code == 200, response.content
    return response.json()["assignment_id"]


def submit(worker, assignment_id: int, answer: dict | None = None):
    return worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": answer or {"label": "cat"}}, format="json"
    )


def claim_and_submit(worker) -> int:
    assignment_id = claim(worker)
    response = submit(worker, assignment_id)
    assert response.status_code == 200, response.content
    return assignment_id


def approve(requester, assignment_id: int, **headers):
    return client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/approve", **headers)


def reject(requester, assignment_id: int):
    return client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/reject")


def bonus(requester, body, key: str | None = "bonus-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client_with(requester.api_key).post("/api/v1/bonuses", body, format="json", **headers)


def payments_of(assignment_id: int) -> list[dict]:
    """The assignment's payment transactions, each as {account kind: amount}."""
    return [
        {entry.account.kind: entry.amount_micros for entry in record.entries.select_related("account")}
        for record in LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.ASSIGNMENT_PAYMENT, assignment_id=assignment_id
        )
    ]


def error(response) -> tuple[int, str, list[str]]:
    body = response.json()["error"]
    return response.status_code, body["code"], sorted(body.get("fields", {}))


def past():
    return timezone.now() - timedelta(seconds=1)


def fee_terms(settings, **terms) -> None:
    settings.GROUNDWORK = {**settings.GROUNDWORK, **terms}


def command(*args) -> dict:
    """Run an operator command; it prints exactly one JSON object on one line."""
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0])


# --- fees -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reward", "fee"),
    [
        ("0.05", "0.01"),  # 20 % is exactly the minimum
        ("0.04", "0.01"),  # 20 % is 0.008: the minimum applies
        ("0.000001", "0.01"),
        ("0.10", "0.02"),
        ("0.055", "0.011"),
        ("1.000003", "0.200001"),  # 200,000.6 micros rounds up
        ("1.000002", "0.20"),  # 200,000.4 micros rounds down
        ("12.50", "2.50"),
    ],
)
def test_the_fee_is_the_rate_with_a_minimum(make_requester, reward, fee):
    # given
    requester = make_requester()
    # when
    task = post_task(requester, reward=reward)
    # then
    assert (task["reward"], task["fee"]) == (reward, fee)


@pytest.mark.parametrize(
    ("reward", "fee"),
    [
        ("1.000002", "0.250001"),  # 250,000.5 micros: half up (half-even would give 0.25)
        ("1.000006", "0.250002"),  # 250,001.5 micros
        ("0.000002", "0.000001"),  # 0.5 micro rounds up to 1 (no minimum here)
    ],
)
def test_the_fee_rounds_half_up(make_requester, settings, reward, fee):
    # given
    fee_terms(settings, PLATFORM_FEE_RATE_PPM=250_000, PLATFORM_FEE_MINIMUM_MICROS=0)
    requester = make_requester()
    # when
    task = post_task(requester, reward=reward)
    # then
    assert task["fee"] == fee


def test_fee_for_rounds_half_up_and_applies_the_minimum():
    assert fee_for(1_000_002, rate_ppm=250_000, minimum_micros=0) == 250_001
    assert fee_for(1_000_010, rate_ppm=250_000, minimum_micros=0) == 250_003  # 250,002.5
    assert fee_for(2, rate_ppm=250_000, minimum_micros=0) == 1
    assert fee_for(1, rate_ppm=250_000, minimum_micros=0) == 0
    assert fee_for(50_000, rate_ppm=200_000, minimum_micros=20_000) == 20_000
    assert fee_for(0, rate_ppm=200_000, minimum_micros=10_000) == 10_000


def test_the_fee_terms_are_fixed_on_the_batch_when_it_is_posted(make_requester, make_worker, settings):
    # given a batch posted at 20 % (minimum $0.01)
    requester = make_requester(balance_micros=10 * DOLLARS)
    first = post_task(requester, reward="0.10")
    # when the operator changes the terms, and more work goes into that batch and into a new one
    fee_terms(settings, PLATFORM_FEE_RATE_PPM=500_000, PLATFORM_FEE_MINIMUM_MICROS=100_000)
    same_batch = post_task(requester, reward="0.10", batch_id=first["batch_id"])
    new_batch = post_task(requester, reward="0.10")
    # then
    assert (first["fee"], same_batch["fee"], new_batch["fee"]) == ("0.02", "0.02", "0.10")
    assert balance(requester) == {"available": "9.56", "on_hold": "0.44"}  # 0.12 + 0.12 + 0.20
    # and approving a task of the old batch pays the old fee
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    assert approve(requester, assignment_id).status_code == 200
    assert payments_of(assignment_id) == [
        {Kind.BATCH_ESCROW: -120_000, Kind.WORKER_EARNINGS: 100_000, Kind.PLATFORM_FEES: 20_000}
    ]


# --- posting reserves the worst case ----------------------------------------------------------


def test_posting_moves_the_worst_case_from_available_to_on_hold(make_requester):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    # when
    post_task(requester, slots=3, reward="0.05")
    post_task(requester, slots=2, reward="0.036")  # fee 0.01: 2 × 0.046
    # then
    assert balance(requester) == {"available": "9.728", "on_hold": "0.272"}
    escrow = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.ESCROW_RESERVE)
    assert escrow.count() == 2


def test_posting_exactly_the_available_balance_leaves_zero(make_requester):
    # given
    requester = make_requester(balance_micros=180_000)
    # when
    post_task(requester, slots=3)
    # then
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}


def test_posting_beyond_the_balance_is_402_and_creates_nothing(make_requester):
    # given
    requester = make_requester(balance_micros=179_999)
    before = ledger_state()
    # when: three tasks, all or nothing (3 × 0.06 = 0.18)
    response = client_with(requester.api_key).post(
        "/api/v1/tasks", [{"title": f"t{i}", "reward": "0.05"} for i in range(3)], format="json"
    )
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert (Task.objects.count(), Batch.objects.count()) == (0, 0)
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.179999", "on_hold": "0.00"}


def test_posting_into_an_existing_batch_beyond_the_balance_changes_nothing(make_requester):
    # given
    requester = make_requester(balance_micros=100_000)
    first = post_task(requester)
    before = ledger_state()
    # when
    response = client_with(requester.api_key).post(
        "/api/v1/tasks", {"title": "more", "reward": "0.05", "batch_id": first["batch_id"]}, format="json"
    )
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert list(Task.objects.values_list("pk", flat=True)) == [first["id"]]
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.04", "on_hold": "0.06"}


def test_a_402_is_replayed_for_the_same_idempotency_key_and_nothing_is_created(make_requester):
    # given
    requester = make_requester(balance_micros=50_000)
    client = client_with(requester.api_key)
    # when
    first = client.post("/api/v1/tasks", {"title": "t", "reward": "0.05"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post("/api/v1/tasks", {"title": "t", "reward": "0.05"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    # then
    assert (first.status_code, second.status_code) == (402, 402)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 0
    assert balance(requester) == {"available": "0.05", "on_hold": "0.00"}


# --- approval pays, rejection releases --------------------------------------------------------


def test_approving_pays_the_worker_the_price_and_the_platform_the_fee(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=3, reward="0.05")
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    # when
    response = approve(requester, assignment_id)
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert balance(requester) == {"available": "9.82", "on_hold": "0.12"}
    assert me(worker) == {"earnings": "0.05", "paid_out": "0.00"}
    assert platform_micros(Kind.PLATFORM_FEES) == 10_000
    assert payments_of(assignment_id) == [
        {Kind.BATCH_ESCROW: -60_000, Kind.WORKER_EARNINGS: 50_000, Kind.PLATFORM_FEES: 10_000}
    ]


def test_approving_twice_pays_once(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    assert approve(requester, assignment_id).status_code == 200
    after_first = ledger_state()
    # when
    again = approve(requester, assignment_id)
    keyed = [approve(requester, assignment_id, HTTP_IDEMPOTENCY_KEY="approve-1") for _ in range(2)]
    # then
    assert [again.status_code, *(r.status_code for r in keyed)] == [200, 200, 200]
    assert again.json()["status"] == "approved"
    assert ledger_state() == after_first
    assert len(payments_of(assignment_id)) == 1
    assert me(worker)["earnings"] == "0.05"


def test_auto_approval_pays_once_however_often_the_sweep_runs(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    Assignment.objects.filter(pk=assignment_id).update(auto_approve_at=past())
    # when
    first, second = run_sweeps(), run_sweeps()
    # then
    assert (first.assignments_auto_approved, second.assignments_auto_approved) == (1, 0)
    assert len(payments_of(assignment_id)) == 1
    assert balance(requester) == {"available": "9.94", "on_hold": "0.00"}
    assert me(worker)["earnings"] == "0.05"


def test_rejecting_releases_the_reserve_and_pays_nothing(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=3)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    # when
    response = reject(requester, assignment_id)
    # then
    assert response.status_code == 200
    assert balance(requester) == {"available": "9.88", "on_hold": "0.12"}
    assert payments_of(assignment_id) == []
    assert me(worker)["earnings"] == "0.00"
    # and rejecting again changes nothing; approving now is a conflict that changes nothing
    before = ledger_state()
    assert reject(requester, assignment_id).status_code == 200
    assert error(approve(requester, assignment_id)) == (409, "already_settled", [])
    assert ledger_state() == before


def test_approving_after_a_rejection_of_another_slot_pays_from_the_remaining_reserve(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    post_task(requester, slots=2)
    first, second = make_worker(), make_worker()
    rejected, approved = claim_and_submit(first), claim_and_submit(second)
    # when
    assert reject(requester, rejected).status_code == 200
    assert approve(requester, approved).status_code == 200
    # then
    assert balance(requester) == {"available": "0.94", "on_hold": "0.00"}
    assert (me(first)["earnings"], me(second)["earnings"]) == ("0.00", "0.05")


# --- ending a task --------------------------------------------------------------------------


@pytest.mark.parametrize(("end", "status"), [("stop", "stopped"), ("close", "complete"), ("expire", "expired")])
def test_ending_a_task_releases_unfilled_slots_and_keeps_work_in_progress_reserved(
    make_requester, make_worker, end, status
):
    # given: 4 slots (0.24 on hold), one answer waiting for review, one assignment live
    requester = make_requester(balance_micros=10 * DOLLARS)
    task = post_task(requester, slots=4)
    answered_by, live_by = make_worker(), make_worker()
    submitted = claim_and_submit(answered_by)
    live = claim(live_by)
    # when
    if end == "expire":
        Task.objects.filter(pk=task["id"]).update(expires_at=past())
        assert run_sweeps().tasks_expired == 1
    else:
        assert client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/{end}").status_code == 200
    # then: the two unfilled slots went back
    assert Task.objects.get(pk=task["id"]).status == status
    assert balance(requester) == {"available": "9.88", "on_hold": "0.12"}
    # and the waiting answer is paid from its reserve
    assert approve(requester, submitted).status_code == 200
    assert balance(requester) == {"available": "9.88", "on_hold": "0.06"}
    # and the live one may still submit; rejecting it gives its reserve back
    assert submit(live_by, live).status_code == 200
    assert reject(requester, live).status_code == 200
    assert balance(requester) == {"available": "9.94", "on_hold": "0.00"}
    assert (me(answered_by)["earnings"], me(live_by)["earnings"]) == ("0.05", "0.00")


def test_a_live_assignment_expiring_on_a_stopped_task_releases_its_reserve(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim(worker)
    client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/stop")
    assert balance(requester) == {"available": "0.94", "on_hold": "0.06"}
    # when
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    assert run_sweeps().assignments_expired == 1
    # then
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}
    assert error(submit(worker, assignment_id)) == (409, "deadline_passed", [])


@pytest.mark.parametrize("how", ["return", "expire"])
def test_a_returned_or_expired_assignment_on_an_open_task_keeps_its_reserve(make_requester, make_worker, how):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim(worker)
    before = ledger_state()
    # when
    if how == "return":
        assert worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/return").status_code == 200
    else:
        Assignment.objects.filter(pk=assignment_id).update(deadline=past())
        assert run_sweeps().assignments_expired == 1
    # then: the slot is offered again, so its reserve stays
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.88", "on_hold": "0.12"}


# --- adding slots -----------------------------------------------------------------------------


def test_adding_slots_reserves_for_them(make_requester):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=1)
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 2}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["slots"] == 3
    assert balance(requester) == {"available": "0.82", "on_hold": "0.18"}


def test_adding_a_slot_to_replace_rejected_work_reopens_the_task_and_reserves_one_slot(make_requester, make_worker):
    # given: a one-slot task whose only answer was rejected (complete, nothing on hold)
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=1)
    rejected = claim_and_submit(make_worker())
    reject(requester, rejected)
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 1}, format="json")
    # then
    assert (response.status_code, response.json()["status"], response.json()["slots"]) == (200, "open", 2)
    assert balance(requester) == {"available": "0.94", "on_hold": "0.06"}
    # and the replacement answer is paid from it
    approved = claim_and_submit(make_worker())
    assert approve(requester, approved).status_code == 200
    assert balance(requester) == {"available": "0.94", "on_hold": "0.00"}


def test_adding_slots_beyond_the_balance_is_402_and_leaves_the_slots(make_requester):
    # given
    requester = make_requester(balance_micros=170_000)  # 0.11 left after a 0.06 reserve
    task = post_task(requester, slots=1)
    before = ledger_state()
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 2}, format="json")
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert Task.objects.filter(pk=task["id"]).values("slots", "status", "escrow_slots").get() == {
        "slots": 1,
        "status": "open",
        "escrow_slots": 1,
    }
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.11", "on_hold": "0.06"}


# --- bonuses ----------------------------------------------------------------------------------


@pytest.fixture
def worked(make_requester, make_worker):
    """A requester ($10) and a worker who submitted an answer to its one task (0.06 on hold)."""
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    return requester, worker, assignment_id


MISSING = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("worker_id", "1"),
        ("worker_id", True),
        ("worker_id", MISSING),
        ("amount", "-1"),
        ("amount", "0"),
        ("amount", "0.0000001"),
        ("amount", 1.5),
        ("amount", "ten"),
        ("amount", "1000.000001"),
        ("amount", MISSING),
        ("reason", ""),
        ("reason", 5),
        ("reason", "x" * 1001),
        ("reason", MISSING),
        ("assignment_id", "1"),
        ("tip", "0.05"),
    ],
)
def test_a_bad_bonus_field_is_a_400_naming_it_and_moves_nothing(worked, field, value):
    # given
    requester, worker, _ = worked
    body = {"worker_id": worker.pk, "amount": "1.00", "reason": "great work"}
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    before = ledger_state()
    # when
    response = bonus(requester, body)
    # then
    assert error(response) == (400, "invalid", [field])
    assert ledger_state() == before


def test_a_bonus_body_that_is_not_an_object_is_a_400(worked):
    requester, _, _ = worked
    assert error(bonus(requester, [1, 2])) == (400, "invalid", ["non_field_errors"])


def test_a_bonus_without_an_idempotency_key_is_a_400_and_moves_nothing(worked):
    # given
    requester, worker, _ = worked
    before = ledger_state()
    # when
    response = bonus(requester, {"worker_id": worker.pk, "amount": "1.00", "reason": "thanks"}, key=None)
    # then
    assert error(response) == (400, "invalid", ["Idempotency-Key"])
    assert ledger_state() == before


def test_a_bonus_for_a_worker_who_did_no_work_for_you_is_a_400(worked, make_requester, make_worker):
    # given: a stranger, a worker holding a live (unsubmitted) assignment, a worker of another requester
    requester, _, _ = worked
    stranger = make_worker()
    holder = make_worker()
    post_task(requester)
    claim(holder)
    other = make_requester()
    post_task(other)
    elsewhere = make_worker()
    claim_and_submit(elsewhere)
    before = ledger_state()
    # when
    responses = [
        bonus(requester, {"worker_id": worker_id, "amount": "1.00", "reason": "thanks"}, key=f"k{n}")
        for n, worker_id in enumerate([stranger.pk, holder.pk, elsewhere.pk, 10**12])
    ]
    # then
    assert [error(r) for r in responses] == [(400, "invalid", ["worker_id"])] * 4
    assert ledger_state() == before


def test_a_bonus_naming_another_requesters_or_another_workers_assignment_is_a_400(worked, make_requester, make_worker):
    # given
    requester, worker, own_assignment = worked
    other = make_requester()
    post_task(other)
    foreign_assignment = claim_and_submit(worker)  # the same worker, on the other requester's task
    colleague = make_worker()
    post_task(requester)
    colleagues_assignment = claim_and_submit(colleague)
    before = ledger_state()
    # when
    foreign = bonus(
        requester,
        {"worker_id": worker.pk, "amount": "1.00", "reason": "x", "assignment_id": foreign_assignment},
        key="a",
    )
    mismatched = bonus(
        requester,
        {"worker_id": worker.pk, "amount": "1.00", "reason": "x", "assignment_id": colleagues_assignment},
        key="b",
    )
    # then
    assert error(foreign) == (400, "invalid", ["assignment_id"])
    assert error(mismatched) == (400, "invalid", ["assignment_id"])
    assert ledger_state() == before
    assert own_assignment != foreign_assignment


def test_a_bonus_beyond_the_available_balance_is_402_and_moves_nothing(worked):
    # given: 9.94 available; 8.30 + 1.66 fee = 9.96
    requester, worker, _ = worked
    before = ledger_state()
    # when
    response = bonus(requester, {"worker_id": worker.pk, "amount": "8.30", "reason": "too much"})
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert ledger_state() == before
    assert balance(requester) == {"available": "9.94", "on_hold": "0.06"}
    # and exactly the available balance is paid (8.28 + 1.656 fee = 9.936, 0.004 left)
    paid = bonus(requester, {"worker_id": worker.pk, "amount": "8.28", "reason": "all in"}, key="bonus-2")
    assert paid.status_code == 201
    assert balance(requester) == {"available": "0.004", "on_hold": "0.06"}


def test_a_bonus_pays_the_amount_to_the_worker_and_the_fee_to_the_platform(worked):
    # given
    requester, worker, assignment_id = worked
    # when
    response = bonus(
        requester, {"worker_id": worker.pk, "amount": "1.00", "reason": "great work", "assignment_id": assignment_id}
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("id", "created_at")} == {
        "worker_id": worker.pk,
        "amount": "1.00",
        "fee": "0.20",
        "reason": "great work",
        "assignment_id": assignment_id,
    }
    record = LedgerTransaction.objects.get(pk=body["id"])
    assert (record.kind, record.memo, record.assignment_id, record.worker_id) == (
        "bonus",
        "great work",
        assignment_id,
        worker.pk,
    )
    assert balance(requester) == {"available": "8.74", "on_hold": "0.06"}
    assert me(worker) == {"earnings": "1.00", "paid_out": "0.00"}
    assert platform_micros(Kind.PLATFORM_FEES) == 200_000


def test_a_small_bonus_pays_the_minimum_fee(worked):
    requester, worker, _ = worked
    response = bonus(requester, {"worker_id": worker.pk, "amount": "0.01", "reason": "tiny"})
    assert (response.status_code, response.json()["fee"]) == (201, "0.01")
    assert balance(requester) == {"available": "9.92", "on_hold": "0.06"}


def test_the_same_bonus_key_pays_once(worked):
    # given
    requester, worker, _ = worked
    body = {"worker_id": worker.pk, "amount": "1.00", "reason": "thanks"}
    first = bonus(requester, body)
    after_first = ledger_state()
    # when: the same request again, then again once the API's idempotency records are gone
    replay = bonus(requester, body)
    IdempotencyRecord.objects.all().delete()
    retried = bonus(requester, body)
    # then
    assert (first.status_code, replay.status_code, retried.status_code) == (201, 201, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert retried.json()["id"] == first.json()["id"]
    assert ledger_state() == after_first
    assert me(worker)["earnings"] == "1.00"


def test_the_same_bonus_key_for_another_bonus_is_a_422(worked):
    # given
    requester, worker, _ = worked
    assert bonus(requester, {"worker_id": worker.pk, "amount": "1.00", "reason": "thanks"}).status_code == 201
    after_first = ledger_state()
    # when: another amount under the same key (replay record present, then purged)
    replayed = bonus(requester, {"worker_id": worker.pk, "amount": "2.00", "reason": "thanks"})
    IdempotencyRecord.objects.all().delete()
    purged = bonus(requester, {"worker_id": worker.pk, "amount": "2.00", "reason": "thanks"})
    # then
    assert error(replayed) == (422, "idempotency_key_reused", [])
    assert error(purged) == (422, "idempotency_key_reused", [])
    assert ledger_state() == after_first


def test_bonus_keys_are_scoped_to_the_requester(worked, make_requester):
    # given: another requester the same worker worked for, using the same key
    requester, worker, _ = worked
    other = make_requester(balance_micros=10 * DOLLARS)
    post_task(other)
    claim_and_submit(worker)
    body = {"worker_id": worker.pk, "amount": "1.00", "reason": "thanks"}
    # when
    first, second = bonus(requester, body, key="same"), bonus(other, body, key="same")
    # then: two bonuses
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert me(worker)["earnings"] == "2.00"


# --- statements -------------------------------------------------------------------------------


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


# --- payouts ----------------------------------------------------------------------------------


@pytest.fixture
def earner(worked):
    """A worker with 5.00 of earnings (a bonus)."""
    requester, worker, _ = worked
    assert bonus(requester, {"worker_id": worker.pk, "amount": "5.00", "reason": "thanks"}).status_code == 201
    return worker


def request_payout(worker, amount):
    return worker.client.post("/api/v1/worker/payouts", {"amount": amount} if amount is not None else {}, format="json")


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


# --- operator deposits -------------------------------------------------------------------------


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


# --- the ledger is append-only ----------------------------------------------------------------


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


# --- a labeling job the requester cannot afford ------------------------------------------------


@pytest.fixture
def file_storage(tmp_path, settings):
    root = (tmp_path / "storage-root").resolve()
    (root / "acme").mkdir(parents=True)
    settings.STORAGE_ROOT = root
    return root


def _job(requester, root, *, objects: int = 3, **overrides) -> dict:
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    lines = [{"source": f"object {i}: {'cat' if i % 2 else 'dog'}"} for i in range(objects)]
    (root / "acme" / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    response = client_with(requester.api_key).post(
        "/api/v1/labeling-jobs",
        {
            "name": "job-1",
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "input_manifest_uri": "file://acme/in.jsonl",
            "output_uri": "file://acme/out/",
            "label_categories": ["cat", "dog"],
            "title": "Cat or dog?",
            "reward": "0.05",
            "workers_per_object": 1,
            **overrides,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    return client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{response.json()['id']}").json()


def test_a_labeling_job_beyond_the_balance_fails_with_insufficient_balance_and_reserves_nothing(
    make_requester, file_storage
):
    # given: the worst case is 3 objects × 1 worker × 0.06 = 0.18
    requester = make_requester(balance_micros=179_999)
    before = ledger_state()
    # when
    job = _job(requester, file_storage)
    # then
    assert job["status"] == "failed"
    assert job["failure_reason"].startswith("insufficient_balance")
    assert "0.18" in job["failure_reason"]
    assert (Batch.objects.count(), Task.objects.count()) == (0, 0)
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.179999", "on_hold": "0.00"}


def test_a_labeling_job_within_the_balance_reserves_its_worst_case(make_requester, file_storage):
    # given
    requester = make_requester(balance_micros=180_000)
    # when
    job = _job(requester, file_storage)
    # then
    assert job["status"] == "in_progress", job["failure_reason"]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}


def test_the_payout_export_neutralises_a_formula_looking_payee_name(make_requester, make_worker, tmp_path):
    # given: a worker whose username a spreadsheet would read as a formula
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker(username="+1+cmd")
    claim_and_submit(worker)
    assert bonus(requester, {"worker_id": worker.pk, "amount": "2.00", "reason": "x"}).status_code == 201
    payout_id = request_payout(worker, "2.00").json()["id"]
    command("payouts", "approve", str(payout_id))
    # when
    command("payouts", "export", "--output", str(tmp_path / "out.csv"))
    # then
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert row["payee_name"] == "'+1+cmd"


def test_the_batch_shows_its_fee_terms_and_what_it_holds(make_requester):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    task = post_task(requester, slots=3, reward="0.10")
    # when
    response = client_with(requester.api_key).get(f"/api/v1/batches/{task['batch_id']}")
    # then
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("fee_rate", "fee_minimum", "on_hold")} == {
        "fee_rate": "0.2",
        "fee_minimum": "0.01",
        "on_hold": "0.36",
    }


# --- dynamic redundancy: slots reserved at posting ---------------------------------------------


def test_slots_reserved_at_posting_for_dynamic_redundancy_stay_reserved_until_the_batch_finishes(
    make_requester, make_worker
):
    """DESIGN.md "Money": posting reserves every slot that can exist, including extra slots
    dynamic redundancy may add; only growth *beyond* what was reserved needs a new reserve.
    A labeling job grows a task only once it is complete (labeling/services/progress.py
    ``_steer_redundancy``), so the headroom must survive the completion, until the job ends."""
    # given: a task of 1 slot that may grow to 3, its worst case (3 × 0.06) reserved, nothing else available
    requester = make_requester(balance_micros=180_000)
    batch = batch_open(
        requester=requester.organization, workteam=public_workforce(), auto_approval_delay_seconds=3600, is_sealed=True
    )
    spec = replace(task_spec({"title": "object 1", "reward": "0.05"}), reserve_slots=3)
    [task] = batch_tasks_create(batch=batch, specs=[spec])
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # when its one answer comes in, the task is complete and keeps the headroom
    first = claim_and_submit(make_worker())
    assert Task.objects.get(pk=task.pk).status == "complete"
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # then the job can give the unsure object a second answer without new money
    assert tasks_add_slot(batch=batch, task_ids=[task.pk], up_to=3) == [task.pk]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # and approving the answers spends one reserve each; complete again, the task keeps the third slot's
    assert approve(requester, first).status_code == 200
    second = claim_and_submit(make_worker())
    assert approve(requester, second).status_code == 200
    assert Task.objects.get(pk=task.pk).status == "complete"
    assert balance(requester) == {"available": "0.00", "on_hold": "0.06"}
    # and when the job ends, the headroom nobody used goes back
    assert batch_finish(batch=batch) == 60_000
    assert balance(requester) == {"available": "0.06", "on_hold": "0.00"}
    assert batch_finish(batch=batch) == 0


def test_closing_a_task_early_drops_its_headroom(make_requester):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    batch = batch_open(
        requester=requester.organization, workteam=public_workforce(), auto_approval_delay_seconds=3600, is_sealed=True
    )
    spec = replace(task_spec({"title": "object 1", "reward": "0.05", "slots": 2}), reserve_slots=5)
    [task] = batch_tasks_create(batch=batch, specs=[spec])
    assert balance(requester) == {"available": "0.70", "on_hold": "0.30"}
    # when
    assert tasks_close_early(batch=batch, task_ids=[task.pk]) == 1
    # then
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}


def test_an_export_whose_file_cannot_be_written_leaves_the_payouts_to_export_again(earner, tmp_path):
    # given: an approved payout
    payout_id = request_payout(earner, "2.00").json()["id"]
    command("payouts", "approve", str(payout_id))
    # when the file cannot be written (its folder does not exist)
    with pytest.raises((CommandError, OSError)):
        call_command("payouts", "export", "--output", str(tmp_path / "missing" / "out.csv"), stdout=io.StringIO())
    # then the next export still carries it
    assert command("payouts", "export", "--output", str(tmp_path / "out.csv"))["payout_ids"] == [payout_id]


def test_a_labeling_job_with_dynamic_redundancy_gives_back_every_unused_reserve_when_it_ends(
    make_requester, make_worker, file_storage
):
    # given: 2 objects that may get up to 3 answers each: 2 × 3 × 0.06 = 0.36 reserved
    requester = make_requester(balance_micros=360_000)
    job = _job(
        requester, file_storage, objects=2, target_confidence=0.99, min_workers_per_object=1, max_workers_per_object=3
    )
    assert job["status"] == "in_progress", job["failure_reason"]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.36"}
    workers = [make_worker() for _ in range(4)]
    # when the crowd answers (truthfully) until the job ends
    for _ in range(8):
        for worker in workers:
            while (claimed := worker.client.post(NEXT_URL)).status_code == 200:
                task_input = claimed.json()["input"]
                label = task_input["source"].rsplit(": ", 1)[1]
                assert submit(worker, claimed.json()["assignment_id"], {"label": label}).status_code == 200
        run_labeling_sweeps()
        job = client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{job['id']}").json()
        if job["status"] not in ("in_progress", "stopping"):
            break
    assert job["status"] == "completed", job
    # and every answer is approved
    answered = list(Assignment.objects.filter(status="submitted").values_list("pk", flat=True))
    for assignment_id in answered:
        assert approve(requester, assignment_id).status_code == 200
    # then nothing stays on hold: the requester paid exactly the answers it got
    assert 2 <= len(answered) <= 6, len(answered)
    assert balance(requester) == {"available": format_micros(360_000 - 60_000 * len(answered)), "on_hold": "0.00"}
