"""Concurrency on PostgreSQL: real threads, each a distinct worker with its own connection,
draining tasks through the REST endpoints; afterwards the invariants of DESIGN.md are checked
on the database itself."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import timezone

from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from tests.conftest import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 32
TASKS = 300
SLOTS = 3
UNLIMITED = {"WORKER_RATE_PER_SECOND": 1e6, "WORKER_RATE_BURST": 10**6}


def _generous_limits():
    from django.conf import settings

    return override_settings(GROUNDWORK={**settings.GROUNDWORK, **UNLIMITED})


class WorkerLog:
    """What one client thread saw: the basis for "nothing lost, nothing handed out twice"."""

    def __init__(self) -> None:
        self.claimed: list[int] = []
        self.submitted: dict[int, dict] = {}
        self.returned: list[int] = []
        self.abandoned: list[int] = []
        self.errors: list[str] = []


def _run_threads(target, workers) -> list[WorkerLog]:
    logs = [WorkerLog() for _ in workers]
    start = threading.Barrier(len(workers))

    def run(worker, log):
        try:
            start.wait()
            target(worker, log)
        except Exception as exc:  # surfaced by the assertion on log.errors
            log.errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w, log)) for w, log in zip(workers, logs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return logs


def _eligible_work_left(worker) -> bool:
    return Task.objects.filter(status__in=["open", "full"]).exclude(assignments__worker=worker).exists()


def _assert_invariants(logs: list[WorkerLog], workers) -> None:
    assert [e for log in logs for e in log.errors] == []
    claimed = [a for log in logs for a in log.claimed]
    # nothing was handed out twice
    assert len(claimed) == len(set(claimed))
    # every task has exactly SLOTS submitted assignments from SLOTS distinct workers
    per_task = Task.objects.annotate(
        submitted=Count("assignments", filter=Q(assignments__status="submitted")),
        distinct_workers=Count("assignments__worker", filter=Q(assignments__status="submitted"), distinct=True),
        holding=Count("assignments", filter=Q(assignments__status__in=["accepted", "submitted"])),
    )
    assert per_task.count() == TASKS
    for task in per_task:
        assert (task.status, task.submitted, task.distinct_workers, task.holding) == ("complete", SLOTS, SLOTS, SLOTS)
        assert (task.slots_used, task.slots_submitted) == (SLOTS, SLOTS)
    # no submission lost: every 200 a client got is in the database with its answer
    submitted = {a for log in logs for a in log.submitted}
    rows = dict(Assignment.objects.filter(status="submitted").values_list("id", "answer"))
    assert set(rows) == submitted
    for log in logs:
        for assignment_id, answer in log.submitted.items():
            assert rows[assignment_id] == answer
    # returns and expiries recorded by clients are what the database says
    assert Counter(Assignment.objects.values_list("status", flat=True)) == Counter(
        {"submitted": TASKS * SLOTS}
        | ({"returned": n} if (n := sum(len(log.returned) for log in logs)) else {})
        | ({"expired": n} if (n := sum(len(log.abandoned) for log in logs)) else {})
    )


def test_32_workers_drain_300_tasks_with_3_slots(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    make_tasks(requester.organization, TASKS, slots=SLOTS)
    workers = [make_worker() for _ in range(WORKERS)]

    def work(worker, log: WorkerLog):
        while True:
            response = worker.client.post("/api/v1/worker/tasks/next")
            if response.status_code == 204:
                if not _eligible_work_left(worker):
                    return
                continue  # the only open tasks were locked by other claims a moment ago
            assert response.status_code == 200, response.content
            assignment_id = response.json()["assignment_id"]
            log.claimed.append(assignment_id)
            answer = {"label": f"w{worker.pk}-a{assignment_id}"}
            submit = worker.client.post(
                f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": answer}, format="json"
            )
            assert submit.status_code == 200, submit.content
            log.submitted[assignment_id] = answer

    # when
    with _generous_limits():
        logs = _run_threads(work, workers)

    # then
    _assert_invariants(logs, workers)


def test_drain_with_returns_and_expiries_while_sweeping(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    make_tasks(requester.organization, TASKS, slots=SLOTS)
    workers = [make_worker() for _ in range(WORKERS)]
    done = threading.Event()

    def sweeper():
        try:
            while not done.is_set():
                run_sweeps()
                time.sleep(0.02)
        finally:
            connections.close_all()

    def work(worker, log: WorkerLog):
        chance = random.Random(worker.pk)
        while True:
            response = worker.client.post("/api/v1/worker/tasks/next")
            if response.status_code == 204:
                if Assignment.objects.filter(status="submitted").count() == TASKS * SLOTS:
                    return
                time.sleep(0.01)  # slots come back as others return and the sweep expires
                continue
            assert response.status_code == 200, response.content
            assignment_id = response.json()["assignment_id"]
            log.claimed.append(assignment_id)
            roll = chance.random()
            if roll < 0.1:
                returned = worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/return")
                assert returned.status_code == 200, returned.content
                log.returned.append(assignment_id)
            elif roll < 0.15:
                # The client vanishes; its deadline passes (moved, not waited for).
                Assignment.objects.filter(pk=assignment_id).update(deadline=timezone.now() - timedelta(seconds=1))
                log.abandoned.append(assignment_id)
            else:
                answer = {"label": f"w{worker.pk}-a{assignment_id}"}
                submit = worker.client.post(
                    f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": answer}, format="json"
                )
                assert submit.status_code == 200, submit.content
                log.submitted[assignment_id] = answer

    sweeping = threading.Thread(target=sweeper)
    sweeping.start()

    # when
    try:
        with _generous_limits():
            logs = _run_threads(work, workers)
    finally:
        done.set()
        sweeping.join()
    run_sweeps()  # a claim may have expired its own abandoned work; the rest the sweep catches

    # then
    assert sum(len(log.returned) for log in logs) > 0
    assert sum(len(log.abandoned) for log in logs) > 0
    _assert_invariants(logs, workers)


def test_submit_at_the_deadline_while_the_sweep_runs_ends_exactly_one_way(make_requester, make_worker, make_tasks):
    # given: many assignments whose deadlines fall in the next moment
    requester = make_requester()
    rounds = 40
    make_tasks(requester.organization, rounds, slots=1)
    worker = make_worker()
    outcomes: list[tuple[int, int, str]] = []

    with _generous_limits():
        for _ in range(rounds):
            claimed = worker.client.post("/api/v1/worker/tasks/next")
            assert claimed.status_code == 200
            assignment_id = claimed.json()["assignment_id"]
            deadline = timezone.now() + timedelta(milliseconds=30)
            Assignment.objects.filter(pk=assignment_id).update(deadline=deadline)
            go = threading.Barrier(3)
            result: dict[str, object] = {}

            def submit(go, assignment_id=assignment_id, result=result, deadline=deadline):
                try:
                    go.wait()
                    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds() - 0.002))
                    response = worker.client.post(
                        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"v": 1}}, format="json"
                    )
                    result["submit"] = (
                        response.status_code,
                        response.json()["error"]["code"] if response.status_code != 200 else "",
                    )
                finally:
                    connections.close_all()

            def sweep(go, deadline=deadline):
                try:
                    go.wait()
                    end = deadline + timedelta(milliseconds=30)
                    while timezone.now() < end:
                        run_sweeps()
                finally:
                    connections.close_all()

            # when
            threads = [threading.Thread(target=fn, args=(go,)) for fn in (submit, sweep, sweep)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            run_sweeps()  # a sweep pass may have begun just before the deadline: finish the job
            status = Assignment.objects.get(pk=assignment_id).status
            outcomes.append((assignment_id, *result["submit"], status))

    # then: a 200 means submitted, a 409 deadline_passed means expired; never both, never neither
    for assignment_id, http_status, code, status in outcomes:
        assert (http_status, code, status) in {(200, "", "submitted"), (409, "deadline_passed", "expired")}, (
            assignment_id,
            http_status,
            code,
            status,
        )
    tasks = Task.objects.annotate(holding=Count("assignments", filter=Q(assignments__status="submitted")))
    for task in tasks:
        assert task.slots_used == task.holding


def test_batched_claims_from_many_threads_keep_slots_cap_and_distinct_workers(make_requester, make_worker, make_tasks):
    # given: workers shared by threads that each claim for random groups of them at once (the
    # websocket batcher's call), submitting most of what they get and keeping the rest live
    from django.conf import settings

    from marketplace.errors import Conflict
    from marketplace.services.assignments import assignment_submit
    from marketplace.services.dispatch import assignments_claim

    requester = make_requester()
    make_tasks(requester.organization, 120, slots=SLOTS)
    workers = [make_worker() for _ in range(24)]
    cap = settings.GROUNDWORK["MAX_LIVE_ASSIGNMENTS_PER_WORKER"]

    def work(chance: random.Random, log: WorkerLog):
        for _ in range(40):
            group = chance.sample(workers, chance.randint(1, 8))
            for worker_id, result in assignments_claim(workers=group).items():
                if isinstance(result, Conflict):
                    if result.code != "too_many_live_assignments":
                        log.errors.append(result.code)
                    continue
                if result is None:
                    continue
                log.claimed.append(result.pk)
                if chance.random() < 0.8:
                    answer = {"label": f"w{worker_id}-a{result.pk}"}
                    assignment_submit(worker=result.worker, assignment_id=result.pk, answer=answer)
                    log.submitted[result.pk] = answer

    # when
    logs = _run_threads(work, [random.Random(seed) for seed in range(12)])

    # then
    assert [e for log in logs for e in log.errors] == []
    claimed = [a for log in logs for a in log.claimed]
    assert len(claimed) == len(set(claimed)) == Assignment.objects.count()
    tasks = Task.objects.annotate(
        holding=Count("assignments"),
        distinct_workers=Count("assignments__worker", distinct=True),
        submitted=Count("assignments", filter=Q(assignments__status="submitted")),
    )
    for task in tasks:
        assert task.holding == task.distinct_workers == task.slots_used <= task.slots, task.pk
        assert task.submitted == task.slots_submitted
        assert task.status == (
            "open" if task.slots_used < task.slots else "complete" if task.slots_submitted == task.slots else "full"
        )
    live = Counter(Assignment.objects.filter(status="accepted").values_list("worker_id", flat=True))
    assert max(live.values(), default=0) <= cap
    submitted = {a for log in logs for a in log.submitted}
    assert set(Assignment.objects.filter(status="submitted").values_list("pk", flat=True)) == submitted
    assert sum(task.slots_used for task in tasks) > 120  # the threads really competed for work


def test_one_workers_claims_from_many_threads_never_pass_its_cap(make_requester, make_worker, make_tasks):
    # given: one worker claiming alone from many connections at once (REST calls in parallel),
    # never submitting, with far more open work than its cap
    from django.conf import settings

    from marketplace.errors import Conflict
    from marketplace.services.dispatch import assignment_claim

    requester = make_requester()
    make_tasks(requester.organization, 60, slots=1)
    worker = make_worker()
    cap = settings.GROUNDWORK["MAX_LIVE_ASSIGNMENTS_PER_WORKER"]

    def work(_, log: WorkerLog):
        for _ in range(4):
            try:
                log.claimed.append(assignment_claim(worker=worker).pk)
            except Conflict as refusal:
                log.errors.append(refusal.code)

    # when: each claim waits on the worker's row for the one before it
    logs = _run_threads(work, list(range(12)))

    # then: the claims that waited saw the ones they waited for, so the cap held
    claimed = [a for log in logs for a in log.claimed]
    refusals = [e for log in logs for e in log.errors]
    assert len(claimed) == cap == Assignment.objects.filter(worker=worker, status="accepted").count()
    assert refusals == ["too_many_live_assignments"] * (12 * 4 - cap)


def test_batched_submits_from_many_threads_never_deadlock_and_count_every_answer(
    make_requester, make_worker, make_tasks
):
    # given: every slot of tasks claimed, the assignments shuffled over threads that submit them
    # in batches (answers to one task and from one worker spread over concurrent batches), each
    # thread also re-sending a few answers another thread sends
    from django.conf import settings

    from marketplace.models.reputation import WorkerReputation
    from marketplace.services.assignments import Submission, assignments_submit
    from marketplace.services.dispatch import assignment_claim

    requester = make_requester()
    make_tasks(requester.organization, 60, slots=SLOTS)
    workers = [make_worker() for _ in range(30)]
    held: list[Assignment] = []
    with override_settings(GROUNDWORK={**settings.GROUNDWORK, "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 10}):
        for worker in workers * 6:
            held.append(assignment_claim(worker=worker))
    assert None not in held
    random.Random(7).shuffle(held)
    shares = [held[i::12] for i in range(12)]

    def work(index: int, log: WorkerLog):
        chance = random.Random(index)
        mine = shares[index] + chance.sample(shares[(index + 1) % 12], 3)
        chance.shuffle(mine)
        while mine:
            size = chance.randint(1, 8)
            batch, mine = mine[:size], mine[size:]
            batch = list({assignment.pk: assignment for assignment in batch}.values())
            results = assignments_submit(
                submissions=[Submission(assignment.worker, assignment.pk, {"a": assignment.pk}) for assignment in batch]
            )
            for assignment, result in zip(batch, results, strict=True):
                if isinstance(result, Assignment):
                    log.submitted[assignment.pk] = {"a": assignment.pk}
                else:
                    log.errors.append(repr(result))

    # when
    logs = _run_threads(work, list(range(12)))

    # then
    assert [e for log in logs for e in log.errors] == []
    assert set(Assignment.objects.filter(status="submitted").values_list("pk", flat=True)) == {a.pk for a in held}
    assert set(Task.objects.values_list("status", "slots_submitted")) == {("complete", SLOTS)}
    assert dict(WorkerReputation.objects.values_list("worker_id", "submitted")) == {w.pk: 6 for w in workers}
