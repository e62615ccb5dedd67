"""The reputation record (docs/quality.md): exact counts after a sequence of claims, submits,
returns, expiries, approvals and rejections through the real routes and sweeps; the worker's
``me`` and the requester's read; the consolidation estimate; no lost counts under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from marketplace.models import Assignment, Batch, WorkerReputation
from marketplace.selectors.reputation import reputation_score, worker_reputation, worker_reputation_values
from marketplace.services.reputation import reputation_count, reputation_record_estimates
from marketplace.services.sweeps import run_sweeps
from tests.conftest import needs_postgres
from tests.support.factories import client_with
from tests.support.worker_api import claim_assignment_id, submit_ok

CAT = {"label": "cat"}


def record(worker) -> dict:
    """The record's counters, and its claims (counted from the worker's assignments)."""
    counters = (
        WorkerReputation.objects.filter(worker=worker)
        .values(
            "submitted",
            "approved",
            "rejected",
            "returned",
            "expired",
            "gold_answered",
            "gold_correct",
        )
        .get()
    )
    return {"claimed": worker_reputation(worker)["claimed"], **counters}


def test_counts_are_exact_after_a_sequence_of_every_transition(requester, requester_client, make_tasks, make_worker):
    # given: six tasks, one of them gold
    tasks = make_tasks(requester.organization, 5)
    tasks += make_tasks(requester.organization, 1, gold_answer=CAT, batch_id=tasks[0].batch_id)
    worker = make_worker()
    # when
    first, second, third = claim_assignment_id(worker), claim_assignment_id(worker), claim_assignment_id(worker)
    submit_ok(worker, first)  # submitted
    assert worker.client.post(f"/api/v1/worker/assignments/{second}/return").status_code == 200  # returned
    Assignment.objects.filter(pk=third).update(deadline=timezone.now() - timedelta(seconds=1))
    run_sweeps()  # expired
    fourth, fifth, gold = claim_assignment_id(worker), claim_assignment_id(worker), claim_assignment_id(worker)
    for assignment_id in (fourth, fifth):
        submit_ok(worker, assignment_id)
    submit_ok(worker, gold, {"label": "dog"})  # a wrong gold answer
    assert requester_client.post(f"/api/v1/assignments/{first}/approve").status_code == 200
    assert requester_client.post(f"/api/v1/assignments/{first}/approve").status_code == 200  # idempotent
    assert requester_client.post(f"/api/v1/assignments/{fourth}/reject").status_code == 200
    # then
    assert record(worker) == {
        "claimed": 6,
        "submitted": 4,
        "approved": 1,
        "rejected": 1,
        "returned": 1,
        "expired": 1,
        "gold_answered": 1,
        "gold_correct": 0,
    }
    # when: the sweep settles the rest (approve_all)
    Assignment.objects.filter(status="submitted").update(auto_approve_at=timezone.now() - timedelta(seconds=1))
    assert run_sweeps().assignments_auto_approved == 2
    # then
    assert record(worker) == {
        "claimed": 6,
        "submitted": 4,
        "approved": 3,
        "rejected": 1,
        "returned": 1,
        "expired": 1,
        "gold_answered": 1,
        "gold_correct": 0,
    }


def test_refused_actions_count_nothing(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    submit_ok(worker, assignment_id)
    before = record(worker)
    # when: a different answer (409), a return after submitting (409), the same answer (200)
    conflict = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "dog"}}, format="json"
    )
    give_back = worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/return")
    submit_ok(worker, assignment_id)
    # then
    assert (conflict.status_code, give_back.status_code) == (409, 409)
    assert (
        record(worker)
        == before
        == {
            "claimed": 1,
            "submitted": 1,
            "approved": 0,
            "rejected": 0,
            "returned": 0,
            "expired": 0,
            "gold_answered": 0,
            "gold_correct": 0,
        }
    )


def test_me_shows_the_record_with_its_score_and_the_assignment_counts(
    requester, requester_client, make_tasks, make_worker
):
    # given: 2 gold answers, 1 right; 1 approved, 1 rejected
    make_tasks(requester.organization, 2, gold_answer=CAT)
    worker = make_worker()
    first, second = claim_assignment_id(worker), claim_assignment_id(worker)
    submit_ok(worker, first, CAT)
    submit_ok(worker, second, {"label": "dog"})
    requester_client.post(f"/api/v1/assignments/{first}/approve")
    requester_client.post(f"/api/v1/assignments/{second}/reject")
    # when
    me = worker.client.get("/api/v1/worker/me").json()["reputation"]
    # then: successes 1 + 0.25, trials 2 + 0.5 -> 50 %
    expected_score = reputation_score(gold_answered=2, gold_correct=1, approved=1, rejected=1, claimed=2)
    assert me == {
        "worker_id": worker.pk,
        "claimed": 2,
        "submitted": 2,
        "approved": 1,
        "rejected": 1,
        "returned": 0,
        "expired": 0,
        "approval_rate": 50.0,
        "gold": {"answered": 2, "correct": 1, "accuracy": 50.0},
        "estimated": {"accuracy": None, "answers": 0},
        "score": {
            "accuracy": 50.0,
            "low": round(100 * expected_score.low, 2),
            "high": round(100 * expected_score.high, 2),
            "evidence": 2.5,
        },
        "assignments": {"accepted": 0, "submitted": 0, "approved": 1, "rejected": 1, "returned": 0, "expired": 0},
    }
    assert worker_reputation_values(worker.pk) == {
        "approval_rate": 50.0,
        "approved_count": 1,
        "submitted_count": 2,
        "accuracy": 100 * expected_score.low,
        "score": 50.0,
    }


def test_a_new_worker_has_an_empty_record(make_worker):
    worker = make_worker()
    me = worker.client.get("/api/v1/worker/me").json()["reputation"]
    assert me["score"] == {"accuracy": None, "low": 0.0, "high": 100.0, "evidence": 0.0}
    assert (me["approval_rate"], me["claimed"], me["gold"]["accuracy"]) == (None, 0, None)
    assert not WorkerReputation.objects.filter(worker=worker).exists()  # reading creates nothing


def test_a_requester_reads_the_record_of_workers_who_did_its_work_only(make_requester, make_tasks, make_worker):
    # given
    mine, theirs = make_requester(), make_requester()
    make_tasks(mine.organization, 1)
    make_tasks(theirs.organization, 1, priority=0)
    worker, idle = make_worker(), make_worker()
    submit_ok(worker, claim_assignment_id(worker))
    # when
    own = client_with(mine.api_key).get(f"/api/v1/workers/{worker.pk}/reputation")
    never_worked = client_with(mine.api_key).get(f"/api/v1/workers/{idle.pk}/reputation")
    missing = client_with(mine.api_key).get("/api/v1/workers/999999/reputation")
    as_worker = worker.client.get(f"/api/v1/workers/{worker.pk}/reputation")
    # then
    assert own.status_code == 200
    assert own.json() == {
        k: v for k, v in worker.client.get("/api/v1/worker/me").json()["reputation"].items() if k != "assignments"
    }
    assert (never_worked.status_code, missing.status_code) == (404, 404)
    assert never_worked.json()["error"] == {"code": "not_found", "message": f"worker {idle.pk} not found", "fields": {}}
    assert as_worker.status_code == 403


def test_a_requester_does_not_read_a_worker_who_only_worked_for_others(make_requester, make_tasks, make_worker):
    # given
    mine, theirs = make_requester(), make_requester()
    make_tasks(theirs.organization, 1)
    worker = make_worker()
    claim_assignment_id(worker)
    # when
    response = client_with(mine.api_key).get(f"/api/v1/workers/{worker.pk}/reputation")
    # then
    assert response.status_code == 404


def test_consolidation_estimates_combine_weighted_by_answers(requester, make_tasks, make_worker):
    # given
    first = Batch.objects.get(pk=make_tasks(requester.organization, 1)[0].batch_id)
    second = Batch.objects.get(pk=make_tasks(requester.organization, 1)[0].batch_id)
    worker, other = make_worker(), make_worker()
    reputation_count(worker_id=worker.pk, returned=5)
    # when
    reputation_record_estimates(batch=first, estimates={worker.pk: (0.9, 30), other.pk: (0.5, 10)})
    reputation_record_estimates(batch=second, estimates={worker.pk: (0.6, 10)})
    reputation_record_estimates(batch=first, estimates={worker.pk: (0.8, 30)})  # replaces the first's
    # then: (0.8 × 30 + 0.6 × 10) / 40 = 0.75; counters untouched
    row = WorkerReputation.objects.get(worker=worker)
    assert (round(row.estimated_accuracy, 9), row.estimated_answers, row.returned) == (0.75, 40, 5)
    assert WorkerReputation.objects.filter(worker=other).values_list(
        "estimated_accuracy", "estimated_answers", "returned"
    ).get() == (0.5, 10, 0)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_lose_no_counts(requester, make_tasks, make_worker):
    # given: a worker without a record yet, and 40 submitted assignments of one worker to settle
    fresh = make_worker()
    make_tasks(requester.organization, 40, slots=1)
    worker = make_worker()
    from marketplace.services.assignments import assignment_approve, assignment_reject, assignment_submit
    from marketplace.services.dispatch import assignment_claim

    ids = []
    for _ in range(40):
        assignment = assignment_claim(worker=worker)
        assignment_submit(worker=worker, assignment_id=assignment.pk, answer=CAT)
        ids.append(assignment.pk)
    threads_count, per_thread = 8, 25
    start = threading.Barrier(threads_count)
    errors: list[str] = []

    def run(index: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                reputation_count(worker_id=fresh.pk, returned=1, expired=2)
            for assignment_id in ids[index::threads_count]:
                settle = assignment_approve if assignment_id % 2 else assignment_reject
                settle(requester=requester.organization, assignment_id=assignment_id)
        except Exception as exc:  # surfaced below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=run, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert (record(fresh)["returned"], record(fresh)["expired"]) == (
        threads_count * per_thread,
        2 * threads_count * per_thread,
    )
    odd = sum(1 for assignment_id in ids if assignment_id % 2)
    assert record(worker) == {
        "claimed": 40,
        "submitted": 40,
        "approved": odd,
        "rejected": 40 - odd,
        "returned": 0,
        "expired": 0,
        "gold_answered": 0,
        "gold_correct": 0,
    }
