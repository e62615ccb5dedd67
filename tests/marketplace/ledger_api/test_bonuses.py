"""Bonuses: paid once per Idempotency-Key, from the requester's balance, with the platform's fee."""

from __future__ import annotations

import pytest

from marketplace.models import IdempotencyRecord, LedgerTransaction
from tests.marketplace.ledger_api.helpers import (
    DOLLARS,
    Kind,
    balance,
    bonus,
    error,
    ledger_state,
    me,
    platform_micros,
    post_task,
)
from tests.support.worker_api import claim_and_submit, claim_assignment_id

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
    claim_assignment_id(holder)
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
