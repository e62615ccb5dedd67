"""The ledger under concurrency, on PostgreSQL (DESIGN.md rule 4): real threads, each with its
own connection, through the REST routes.

- Many threads approving, rejecting and paying bonuses on one requester's work at once (the
  same assignment approved from several threads, approved and rejected at once, the same bonus
  Idempotency-Key from several threads) end with exactly the balances computed from the
  outcomes, every approved assignment paid once, and every ledger invariant holding.
- Many posts racing for a balance that covers only some of them: exactly the affordable ones
  are 201, the rest 402, and the available balance never goes below zero.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from marketplace.models import Assignment, LedgerAccount, LedgerTransaction, Payout, Task
from marketplace.money import format_micros
from marketplace.selectors.ledger import requester_balance
from tests.conftest import needs_postgres
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

DOLLARS = 1_000_000
THREADS = 24
UNLIMITED = {
    "WORKER_RATE_PER_SECOND": 1e6,
    "WORKER_RATE_BURST": 10**6,
    "API_KEY_WRITE_RATE_PER_SECOND": 1e6,
    "API_KEY_WRITE_RATE_BURST": 10**6,
}
Kind = LedgerAccount.Kind


def _generous_limits():
    return override_settings(GROUNDWORK={**settings.GROUNDWORK, **UNLIMITED})


def run_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job on its own thread, all released together; returns their results in order
    (an exception is returned as its repr, for the assertions to show)."""
    results: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int, job) -> None:
        try:
            start.wait()
            results[index] = job()
        except Exception as exc:
            results[index] = f"raised {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def earnings(worker_id: int) -> int:
    return (
        LedgerAccount.objects.filter(kind=Kind.WORKER_EARNINGS, worker_id=worker_id)
        .values_list("balance_micros", flat=True)
        .first()
        or 0
    )


def platform_fees() -> int:
    return LedgerAccount.objects.filter(kind=Kind.PLATFORM_FEES).values_list("balance_micros", flat=True).first() or 0


def test_approvals_rejections_and_bonuses_at_once_end_with_the_exact_balances(make_requester, make_worker, make_tasks):
    # given: 16 one-slot tasks at 0.05 (+0.01 fee), each answered by one of 8 workers
    deposit = 20 * DOLLARS
    requester = make_requester(balance_micros=deposit)
    make_tasks(requester.organization, 16, slots=1, reward="0.05")
    workers = [make_worker() for _ in range(8)]
    by_worker: dict[int, list[int]] = {}
    with _generous_limits():
        for worker in workers:
            for _ in range(2):
                claimed = worker.client.post("/api/v1/worker/tasks/next")
                assert claimed.status_code == 200, claimed.content
                assignment_id = claimed.json()["assignment_id"]
                submitted = worker.client.post(
                    f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "x"}}, format="json"
                )
                assert submitted.status_code == 200, submitted.content
                by_worker.setdefault(worker.pk, []).append(assignment_id)
    assignments = sorted(a for ids in by_worker.values() for a in ids)
    worker_of = {a: w for w, ids in by_worker.items() for a in ids}
    assert requester_balance(requester.organization).on_hold_micros == 16 * 60_000
    # the plan: 6 approved from 4 threads each, 4 rejected from 2 threads each, 6 approved and
    # rejected at once (2 threads each way); 4 bonuses of 0.50 each sent from 3 threads under one
    # key, 4 more of 0.25 from one thread each
    approve_many, reject_many, contested = assignments[:6], assignments[6:10], assignments[10:]
    client = client_with(requester.api_key)

    def settle(action: str, assignment_id: int) -> Callable[[], tuple]:
        def call():
            response = client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/{action}")
            return action, assignment_id, response.status_code

        return call

    def pay_bonus(worker_id: int, amount: str, key: str) -> Callable[[], tuple]:
        def call():
            response = client_with(requester.api_key).post(
                "/api/v1/bonuses",
                {"worker_id": worker_id, "amount": amount, "reason": "thanks"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=key,
            )
            return "bonus", key, response.status_code, response.json().get("id")

        return call

    # Calls on the same target form a unit, and a unit's calls always run in the same round.
    units = [[settle("approve", a)] * 4 for a in approve_many]
    units += [[settle("reject", a)] * 2 for a in reject_many]
    units += [[settle("approve", a)] * 2 + [settle("reject", a)] * 2 for a in contested]
    bonus_workers = [w.pk for w in workers[:4]]
    units += [[pay_bonus(w, "0.50", f"shared-{w}")] * 3 for w in bonus_workers]
    units += [[pay_bonus(w.pk, "0.25", f"single-{w.pk}")] for w in workers[4:]]
    random.Random(6).shuffle(units)
    rounds: list[list] = [[]]
    for unit in units:
        if len(rounds[-1]) + len(unit) > THREADS:
            rounds.append([])
        rounds[-1] += unit

    # when: round after round, THREADS calls at once
    with _generous_limits():
        results = [result for jobs in rounds for result in run_at_once(jobs)]

    # then: every call answered as the outcome says
    assert [r for r in results if isinstance(r, str)] == []
    final = dict(Assignment.objects.filter(pk__in=assignments).values_list("pk", "status"))
    assert {final[a] for a in approve_many} == {"approved"}
    assert {final[a] for a in reject_many} == {"rejected"}
    assert {final[a] for a in contested} <= {"approved", "rejected"}
    for kind, assignment_id, status in (r for r in results if r[0] != "bonus"):
        won = final[assignment_id] == ("approved" if kind == "approve" else "rejected")
        assert status == (200 if won else 409), (kind, assignment_id, status, final[assignment_id])
    bonus_ids = Counter()
    for _, key, status, bonus_id in (r for r in results if r[0] == "bonus"):
        assert status == 201
        bonus_ids[key, bonus_id] += 1
    assert sorted(bonus_ids.values()) == [1, 1, 1, 1, 3, 3, 3, 3]  # one bonus per key, whoever sent it

    # and the money is exactly what those outcomes cost
    approved = [a for a in assignments if final[a] == "approved"]
    bonus_total = 4 * (500_000 + 100_000) + 4 * (250_000 + 50_000)
    assert requester_balance(requester.organization).available_micros == deposit - 60_000 * len(approved) - bonus_total
    assert requester_balance(requester.organization).on_hold_micros == 0
    for worker in workers:
        paid_work = 50_000 * sum(1 for a in approved if worker_of[a] == worker.pk)
        bonus = 500_000 if worker.pk in bonus_workers else 250_000
        assert earnings(worker.pk) == paid_work + bonus
    assert platform_fees() == 10_000 * len(approved) + 4 * 100_000 + 4 * 50_000
    payments = Counter(
        LedgerTransaction.objects.filter(kind="assignment_payment").values_list("assignment_id", flat=True)
    )
    assert payments == Counter({a: 1 for a in approved})
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 8
    assert ledger_violations() == []
    assert client.get("/api/v1/balance").json() == {
        "available": format_micros(deposit - 60_000 * len(approved) - bonus_total),
        "on_hold": "0.00",
    }


def test_posts_racing_for_the_balance_succeed_exactly_as_far_as_it_reaches(make_requester):
    # given: a balance for 10 of 24 posts of 2 slots at 0.05 (0.12 each)
    requester = make_requester(balance_micros=10 * 120_000)

    def post(n: int) -> Callable[[], int]:
        def call():
            response = client_with(requester.api_key).post(
                "/api/v1/tasks", {"title": f"t{n}", "slots": 2, "reward": "0.05"}, format="json"
            )
            assert response.status_code == 201 or response.json()["error"]["code"] == "insufficient_balance"
            return response.status_code

        return call

    # when
    with _generous_limits():
        statuses = run_at_once([post(n) for n in range(THREADS)])

    # then
    assert Counter(statuses) == Counter({201: 10, 402: THREADS - 10})
    assert Task.objects.count() == 10
    balance = requester_balance(requester.organization)
    assert (balance.available_micros, balance.on_hold_micros) == (0, 10 * 120_000)
    assert ledger_violations() == []


def test_bonuses_and_posts_racing_never_overdraw(make_requester, make_worker, make_tasks):
    # given: 1.00 available after one answered task, and a worker to pay
    requester = make_requester(balance_micros=1 * DOLLARS + 60_000)
    make_tasks(requester.organization, 1, slots=1, reward="0.05")
    worker = make_worker()
    with _generous_limits():
        assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
        worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"a": 1}}, format="json")

    def bonus(n: int) -> Callable[[], tuple]:  # 0.10 + 0.02 fee
        def call():
            response = client_with(requester.api_key).post(
                "/api/v1/bonuses",
                {"worker_id": worker.pk, "amount": "0.10", "reason": "x"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"b{n}",
            )
            return "bonus", response.status_code

        return call

    def post(n: int) -> Callable[[], tuple]:  # 0.12
        def call():
            response = client_with(requester.api_key).post(
                "/api/v1/tasks", {"title": f"t{n}", "slots": 2, "reward": "0.05"}, format="json"
            )
            return "post", response.status_code

        return call

    # when: 12 bonuses and 12 posts of 0.12 each against 1.00
    with _generous_limits():
        results = run_at_once([bonus(n) for n in range(12)] + [post(n) for n in range(12)])

    # then: exactly 8 of them went through (8 × 0.12 = 0.96), the rest were 402
    assert Counter(status for _, status in results) == Counter({201: 8, 402: 16})
    paid_bonuses = sum(1 for kind, status in results if kind == "bonus" and status == 201)
    posted = sum(1 for kind, status in results if kind == "post" and status == 201)
    balance = requester_balance(requester.organization)
    assert balance.available_micros == 40_000
    assert balance.on_hold_micros == 60_000 + posted * 120_000
    assert earnings(worker.pk) == paid_bonuses * 100_000
    assert Task.objects.count() == 1 + posted
    assert ledger_violations() == []


def test_payout_requests_racing_for_the_earnings_never_overdraw(make_requester, make_worker, make_tasks):
    # given: a worker with 5.00 of earnings (a bonus)
    requester = make_requester(balance_micros=10 * DOLLARS)
    make_tasks(requester.organization, 1, slots=1, reward="0.05")
    worker = make_worker()
    with _generous_limits():
        assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
        worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"a": 1}}, format="json")
        paid = client_with(requester.api_key).post(
            "/api/v1/bonuses",
            {"worker_id": worker.pk, "amount": "5.00", "reason": "x"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="b",
        )
    assert paid.status_code == 201

    def request(n: int) -> Callable[[], int]:
        def call():
            response = client_with(worker.token).post("/api/v1/worker/payouts", {"amount": "1.00"}, format="json")
            return response.status_code

        return call

    # when: 16 requests of 1.00 at once
    with _generous_limits():
        statuses = run_at_once([request(n) for n in range(16)])

    # then: exactly five
    assert Counter(statuses) == Counter({201: 5, 402: 11})
    assert earnings(worker.pk) == 0
    assert Payout.objects.filter(worker=worker, status="requested").count() == 5
    assert ledger_violations() == []
