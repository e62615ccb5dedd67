"""Appeals under concurrency, on PostgreSQL (real threads, each with its own connection, through
the REST routes): decisions racing on one appeal (accepts and declines at once), a decision
racing a direct override, and one worker appealing one rejection from several threads. Exactly
one wins each race; the assignment is paid at most once and every ledger invariant holds.
"""

from __future__ import annotations

from collections import Counter

import pytest

from marketplace.models import Appeal, Assignment, LedgerTransaction, WorkerMessage
from tests.conftest import needs_postgres
from tests.marketplace.appeals.helpers import appeal, rejected_assignment
from tests.marketplace.ledger_invariants import ledger_violations
from tests.marketplace.test_ledger_concurrency import _generous_limits, earnings, run_at_once
from tests.support.factories import client_with

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]
THREADS = 12


def _post(secret: str, path: str, body: dict):
    def call():
        response = client_with(secret).post(path, body, format="json")
        return response.status_code, response.json().get("error", {}).get("code")

    return call


@pytest.mark.parametrize("mix", ["accepts", "accepts_and_declines"])
def test_concurrent_decisions_on_one_appeal_exactly_one_wins(make_requester, make_worker, mix):
    # given: several open appeals, each decided from 12 threads at once
    requester = make_requester(balance_micros=5_000_000)
    workers = [make_worker() for _ in range(3)]
    appeal_ids = [appeal(w, rejected_assignment(requester, w)).json()["id"] for w in workers]
    jobs = []
    for appeal_id in appeal_ids:
        for index in range(THREADS):
            declining = mix == "accepts_and_declines" and index % 2
            action, body = ("decline", {"reply": f"no {index}"}) if declining else ("accept", {"reply": f"yes {index}"})
            jobs.append(_post(requester.api_key, f"/api/v1/appeals/{appeal_id}/{action}", body))

    # when
    with _generous_limits():
        results = run_at_once(jobs)

    # then: per appeal one 200, the rest 409 appeal_already_decided
    for position, appeal_id in enumerate(appeal_ids):
        outcomes = Counter(results[position * THREADS : (position + 1) * THREADS])
        assert outcomes == Counter({(200, None): 1, (409, "appeal_already_decided"): THREADS - 1}), outcomes
        decided = Appeal.objects.select_related("assignment").get(pk=appeal_id)
        assert decided.status in ("accepted", "declined")
        paid = LedgerTransaction.objects.filter(assignment_id=decided.assignment_id, kind__endswith="payment").count()
        assert (decided.assignment.status, paid) == (
            ("approved", 1) if decided.status == "accepted" else ("rejected", 0)
        )
        assert WorkerMessage.objects.filter(worker_id=decided.worker_id).count() == 1
        assert earnings(decided.worker_id) == (50_000 if decided.status == "accepted" else 0)
    assert ledger_violations() == []


def test_an_appeal_decision_racing_a_direct_override_pays_once(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    assignment_id = rejected_assignment(requester, worker)
    appeal_id = appeal(worker, assignment_id).json()["id"]
    override = {"override_rejection": True, "feedback": "gold was wrong"}
    jobs = [
        _post(requester.api_key, f"/api/v1/appeals/{appeal_id}/accept", {})
        if index % 2
        else _post(requester.api_key, f"/api/v1/assignments/{assignment_id}/approve", override)
        for index in range(THREADS)
    ]

    with _generous_limits():
        results = run_at_once(jobs)

    # every approve is a 200 (approving an approved assignment again pays nothing more); of the
    # appeal's accepts, one wins only if it came before every override, the others are 409
    assert all(result == (200, None) for result in results[0::2]), results
    assert set(results[1::2]) <= {(200, None), (409, "appeal_already_decided")}, results
    assert Counter(results[1::2])[(200, None)] <= 1
    assert Assignment.objects.get(pk=assignment_id).status == "approved"
    assert Appeal.objects.get(pk=appeal_id).status == "accepted"
    assert LedgerTransaction.objects.filter(assignment_id=assignment_id, kind__endswith="payment").count() == 1
    assert WorkerMessage.objects.filter(worker=worker).count() == 1
    assert earnings(worker.pk) == 50_000
    assert ledger_violations() == []


def test_one_rejection_appealed_from_many_threads_makes_one_appeal(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    assignment_id = rejected_assignment(requester, worker)
    path = f"/api/v1/worker/assignments/{assignment_id}/appeal"
    jobs = [_post(worker.token, path, {"message": f"appeal {index}"}) for index in range(THREADS)]

    with _generous_limits():
        results = run_at_once(jobs)

    assert Counter(results) == Counter({(201, None): 1, (409, "already_appealed"): THREADS - 1}), results
    assert Appeal.objects.filter(assignment_id=assignment_id).count() == 1
    assert ledger_violations() == []
