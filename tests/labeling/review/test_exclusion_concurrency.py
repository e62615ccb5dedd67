"""Exclusions under concurrency (PostgreSQL): worker threads drain review-like tasks through the
REST claim and the claim for several workers at once (the websocket dispatcher's) at the same
time; afterwards no task has an assignment of a worker it excludes, and the slot rules hold."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Count, F, Q
from django.test import override_settings

from marketplace.models import Assignment, Task, TaskWorkerExclusion
from marketplace.services.dispatch import assignments_claim
from tests.conftest import needs_postgres
from tests.support.worker_api import claim, submit

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

TASKS = 60
SLOTS = 3
REST_WORKERS = 6
BATCHED_GROUPS = 2  # threads claiming for three workers at once
ANSWER = {"label": "cat"}


def _drain_by_rest(worker, errors: list) -> None:
    while True:
        response = claim(worker)
        if response.status_code == 204:
            return
        if response.status_code != 200:
            errors.append(f"claim {response.status_code}")
            return
        if submit(worker, response.json()["assignment_id"], ANSWER).status_code != 200:
            errors.append("submit refused")


def _drain_together(workers, errors: list) -> None:
    while True:
        claimed = assignments_claim(workers=workers)
        got = [(worker, claimed[worker.pk]) for worker in workers if claimed[worker.pk] is not None]
        if any(isinstance(assignment, Exception) for _, assignment in got):
            errors.append("claim raised")
            return
        if not got:
            return
        for worker, assignment in got:
            if submit(worker, assignment.pk, ANSWER).status_code != 200:
                errors.append("submit refused")


def test_concurrent_claims_never_hand_a_task_to_a_worker_it_excludes(make_requester, make_worker, make_tasks):
    # given: every task excludes two of the workers (a different pair per task)
    requester = make_requester()
    tasks = make_tasks(requester.organization, TASKS, slots=SLOTS, labels=["cat", "dog"])
    workers = [make_worker() for _ in range(REST_WORKERS + 3 * BATCHED_GROUPS)]
    TaskWorkerExclusion.objects.bulk_create(
        TaskWorkerExclusion(task=task, worker=workers[(i + k) % len(workers)])
        for i, task in enumerate(tasks)
        for k in (0, 5)
    )
    groups = [workers[REST_WORKERS + 3 * g : REST_WORKERS + 3 * (g + 1)] for g in range(BATCHED_GROUPS)]
    errors: list = []
    start = threading.Barrier(REST_WORKERS + BATCHED_GROUPS)

    def run(target, *args):
        try:
            start.wait()
            target(*args, errors)
        except Exception as exc:  # surfaced by the assertion on errors
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(_drain_by_rest, w)) for w in workers[:REST_WORKERS]]
    threads += [threading.Thread(target=run, args=(_drain_together, group)) for group in groups]

    # when
    with override_settings(
        GROUNDWORK={**settings.GROUNDWORK, "WORKER_RATE_PER_SECOND": 1e6, "WORKER_RATE_BURST": 10**6}
    ):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)

        # A thread stops at its first empty claim, which under contention can mean "every task
        # left was locked by another claim" (SKIP LOCKED): one worker at a time drains what is left.
        assert not any(thread.is_alive() for thread in threads)
        for worker in workers:
            _drain_by_rest(worker, errors)

    # then
    assert errors == []
    assert not Assignment.objects.filter(task__worker_exclusions__worker=F("worker")).exists()
    per_task = Task.objects.annotate(
        submitted=Count("assignments", filter=Q(assignments__status="submitted")),
        workers=Count("assignments__worker", distinct=True),
    )
    assert set(per_task.values_list("status", "submitted", "workers")) == {("complete", SLOTS, SLOTS)}
