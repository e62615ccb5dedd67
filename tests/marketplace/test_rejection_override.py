"""Approving a rejected assignment (``{"override_rejection": true}``, MTurk's OverrideRejection):
within 30 days of the rejection, paid from the requester's available balance as a ledger
transaction of its own, exactly once, with every ledger invariant holding.

Defaults: fee 20 % with a $0.01 minimum, so a $0.05 task costs $0.06 a slot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment, LedgerAccount, LedgerTransaction, WorkerReputation
from tests.marketplace.ledger_api.helpers import balance, ledger_state, me, post_task, reject
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with
from tests.support.worker_api import claim_and_submit

pytestmark = pytest.mark.django_db(transaction=False)
Kind = LedgerAccount.Kind


def approve(requester, assignment_id: int, body: dict | None = None):
    return client_with(requester.api_key).post(
        f"/api/v1/assignments/{assignment_id}/approve", body or {}, format="json"
    )


@pytest.fixture
def rejected(make_requester, make_worker):
    # given: a $0.05 task answered by a worker and rejected by its requester
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    post_task(requester, slots=1)
    assignment_id = claim_and_submit(worker)
    assert reject(requester, assignment_id).status_code == 200
    return requester, worker, assignment_id


def test_a_rejected_assignment_approved_with_override_is_paid_from_the_available_balance(rejected):
    requester, worker, assignment_id = rejected
    assert balance(requester)["available"] == "1.00"  # the reserve came back on rejection

    # when
    response = approve(requester, assignment_id, {"override_rejection": True, "feedback": "sorry, my mistake"})

    # then
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["feedback"]) == ("approved", "sorry, my mistake")
    assert (balance(requester)["available"], balance(requester)["on_hold"]) == ("0.94", "0.00")
    assert me(worker)["earnings"] == "0.05"
    (record,) = LedgerTransaction.objects.filter(assignment_id=assignment_id, kind__endswith="payment")
    assert record.kind == LedgerTransaction.Kind.REJECTION_OVERRIDE_PAYMENT
    assert sorted((e.account.kind, e.amount_micros) for e in record.entries.select_related("account")) == [
        (Kind.PLATFORM_FEES, 10_000),
        (Kind.REQUESTER_AVAILABLE, -60_000),
        (Kind.WORKER_EARNINGS, 50_000),
    ]
    reputation = WorkerReputation.objects.get(worker=worker)
    assert (reputation.approved, reputation.rejected) == (1, 0)
    assert ledger_violations() == []


def test_overriding_again_pays_nothing_more(rejected):
    requester, _, assignment_id = rejected
    assert approve(requester, assignment_id, {"override_rejection": True}).status_code == 200
    before = ledger_state()

    # when
    again = approve(requester, assignment_id, {"override_rejection": True})

    # then
    assert again.status_code == 200
    assert again.json()["status"] == "approved"
    assert ledger_state() == before
    assert ledger_violations() == []


def test_without_override_a_rejected_assignment_stays_rejected(rejected):
    requester, _, assignment_id = rejected
    before = ledger_state()

    response = approve(requester, assignment_id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_settled"
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
    assert ledger_state() == before


def test_a_rejection_older_than_30_days_cannot_be_overridden(rejected):
    requester, _, assignment_id = rejected
    Assignment.objects.filter(pk=assignment_id).update(rejected_at=timezone.now() - timedelta(days=30, minutes=1))
    before = ledger_state()

    response = approve(requester, assignment_id, {"override_rejection": True})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "rejection_override_expired"
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
    assert ledger_state() == before


def test_a_rejection_just_within_30_days_can_be_overridden(rejected):
    requester, _, assignment_id = rejected
    Assignment.objects.filter(pk=assignment_id).update(rejected_at=timezone.now() - timedelta(days=29, hours=23))

    response = approve(requester, assignment_id, {"override_rejection": True})

    assert response.status_code == 200
    assert ledger_violations() == []


def test_an_override_the_balance_cannot_cover_is_402_and_changes_nothing(rejected):
    requester, _, assignment_id = rejected
    # the available balance spent on other work: $1.00 reserves 16 slots at $0.06, 0.04 left
    post_task(requester, slots=16)
    assert balance(requester)["available"] == "0.04"
    before = ledger_state()

    response = approve(requester, assignment_id, {"override_rejection": True})

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
    assert ledger_state() == before
    assert ledger_violations() == []


def test_override_rejection_on_a_submitted_assignment_approves_it_from_escrow(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    post_task(requester)
    assignment_id = claim_and_submit(worker)

    response = approve(requester, assignment_id, {"override_rejection": True})

    assert response.status_code == 200
    assert LedgerTransaction.objects.get(assignment_id=assignment_id, kind__endswith="payment").kind == (
        LedgerTransaction.Kind.ASSIGNMENT_PAYMENT
    )
    assert ledger_violations() == []


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_override_rejection_must_be_a_boolean(rejected, value):
    requester, _, assignment_id = rejected

    response = approve(requester, assignment_id, {"override_rejection": value})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"override_rejection": ["must be true or false"]}


def test_another_requesters_assignment_is_404(rejected, make_requester):
    _, _, assignment_id = rejected
    other = make_requester()

    response = approve(other, assignment_id, {"override_rejection": True})

    assert response.status_code == 404
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
