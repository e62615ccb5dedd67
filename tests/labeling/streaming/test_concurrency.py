"""Streaming additions under real concurrency on PostgreSQL: threads, each with its own
connection, adding objects to one job at once, against each other and against the job's
background pass deciding whether the job is idle."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Task
from marketplace.selectors.ledger import requester_balance
from tests.conftest import needs_postgres
from tests.marketplace.ledger_invariants import ledger_violations

from .helpers import add, get_job, register, start, text

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
SLOT_MICROS = 60_000


def run_together(functions) -> list:
    """Run each function on its own thread, released at once; their results in order."""
    go = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        go.wait()
        try:
            results[index] = function()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_the_same_dataset_object_ids_sent_at_once_by_several_clients_are_added_once(make_requester, storage_root):
    # given: six clients sending the same 30 objects at the same moment
    requester = make_requester()
    register(requester)
    job = start(requester)
    objects = [{**text(i), "dataset_object_id": f"id-{i}"} for i in range(30)]

    # when
    responses = run_together([lambda: add(requester, job["id"], objects) for _ in range(THREADS)])

    # then
    assert [response.status_code for response in responses] == [201] * THREADS
    assert sorted(response.json()["added"] for response in responses) == [0] * (THREADS - 1) + [30]
    assert DataObject.objects.filter(job_id=job["id"]).count() == 30
    assert sorted(DataObject.objects.filter(job_id=job["id"]).values_list("object_index", flat=True)) == list(range(30))
    assert requester_balance(requester.organization).on_hold_micros == 30 * SLOT_MICROS
    assert ledger_violations() == []


def test_an_object_added_as_the_job_turns_idle_is_either_refused_or_labeled(make_requester, storage_root):
    # given: a job past its idle period with nothing out; clients add while the pass ends it
    requester = make_requester()
    register(requester)
    job = start(requester, streaming_idle_seconds=60)
    LabelingJob.objects.filter(pk=job["id"]).update(last_object_at=timezone.now() - timedelta(seconds=120))

    # when
    results = run_together(
        [run_labeling_sweeps, *[lambda i=i: add(requester, job["id"], [text(i)]) for i in range(THREADS - 1)]]
    )

    # then: each addition either got in (and keeps the job going, its object out or held) or was refused
    statuses = [response.status_code for response in results[1:]]
    assert set(statuses) <= {201, 409}
    added = statuses.count(201)
    after = get_job(requester, job["id"])
    assert DataObject.objects.filter(job_id=job["id"]).count() == added
    if added:
        assert after["status"] == "in_progress"
        assert Task.objects.filter(batch_id=job["batch_id"], status__in=["open", "held"]).count() == added
    else:
        assert after["status"] == "completed"
    assert ledger_violations() == []
