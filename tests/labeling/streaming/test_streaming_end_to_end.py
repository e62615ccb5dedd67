"""A streaming job fed 1,000 objects in small calls while workers answer through the worker API
(issue 18, "Must show"): one ``labeling_job.object_labeled`` event per object (its outbox row),
no object lost or labeled twice, at most ``max_concurrent_task_count`` objects out at any moment,
and the output parts holding exactly the final manifest's lines; and the events delivered to a
real receiver on 127.0.0.1 (a smaller job: delivery runs on sender threads, which need committed
rows, so that test runs in a transactional database, where every request's commit is paid for)."""

from __future__ import annotations

import json
import time

import pytest

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.encryption import encrypt_secret
from marketplace.events.outbox import forget_subscriptions
from marketplace.events.signing import new_secret
from marketplace.events.sweep import senders, webhooks_sweep
from marketplace.models import Event, Task, WebhookEndpoint
from tests.marketplace.events.receiver import Receiver
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with

from .helpers import JOBS_URL, add_ok, answer_all, answer_one, final_manifest, get_job, part_lines, register, start

OBJECTS = 1000
PER_CALL = 20
CONCURRENT = 60
OBJECT_LABELED = "labeling_job.object_labeled"


@pytest.fixture(autouse=True)
def _fast_workers(settings):
    """Four simulated workers give some 3,000 answers as fast as the claim and submit go: the
    per-worker rate limit (20 requests a second) is not what this module tests."""
    settings.GROUNDWORK = {**settings.GROUNDWORK, "WORKER_RATE_PER_SECOND": 1e6, "WORKER_RATE_BURST": 10**6}


@pytest.fixture
def receiver_settings(settings):
    """The operator's settings that let webhooks reach 127.0.0.1."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    forget_subscriptions()
    yield settings
    forget_subscriptions()


@pytest.fixture
def receiver(settings, transactional_db):
    """A real receiver, and the operator's settings that let webhooks reach it."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    forget_subscriptions()
    with Receiver() as running:
        yield running
    end = time.monotonic() + 15
    while not senders.idle() and time.monotonic() < end:  # let the senders finish before the rows go
        time.sleep(0.02)
    forget_subscriptions()


def objects_out(batch_id: int) -> int:
    return Task.objects.filter(batch_id=batch_id, status__in=["open", "full"]).count()


def subscribe(requester, url: str) -> None:
    WebhookEndpoint.objects.create(
        organization=requester.organization,
        url=url,
        events=[OBJECT_LABELED],
        secret_encrypted=encrypt_secret(new_secret()),
    )


def labeled_events() -> list[dict]:
    return [json.loads(body) for body in Event.objects.filter(type=OBJECT_LABELED).values_list("body", flat=True)]


@pytest.mark.django_db
def test_a_streaming_job_fed_1000_objects_while_workers_answer(
    make_requester, make_worker, storage_root, receiver_settings
):
    # given: a streaming job, a webhook endpoint for its labels, and four workers
    requester = make_requester()
    register(requester)
    subscribe(requester, "http://127.0.0.1:9/labels")
    job = start(requester, max_concurrent_task_count=CONCURRENT)
    workers = [make_worker() for _ in range(4)]
    objects = [
        {"source": f"object {i}: {['cat', 'dog'][i % 2]}", "dataset_object_id": f"obj-{i}"} for i in range(OBJECTS)
    ]

    # when: objects come in calls of 20 (every fifth call sent twice, as a client retrying would),
    # workers answer a few between calls, the background pass runs
    most_out = 0
    for start_at in range(0, OBJECTS, PER_CALL):
        call = objects[start_at : start_at + PER_CALL]
        assert add_ok(requester, job["id"], call)["added"] == len(call)
        if start_at % (5 * PER_CALL) == 0:
            assert add_ok(requester, job["id"], call)["repeated"] == len(call)
        for worker in workers * 4:  # up to 16 answers, until nothing is offered
            if answer_one(worker) is None:
                break
        most_out = max(most_out, objects_out(job["batch_id"]))
        if start_at % (2 * PER_CALL) == 0:  # the pass every other call (it runs every few seconds)
            run_labeling_sweeps()
    while answer_all(workers):  # what is out, then the pass lets the next ones out
        run_labeling_sweeps()
        most_out = max(most_out, objects_out(job["batch_id"]))
    labeled = get_job(requester, job["id"])["label_counters"]
    assert client_with(requester.api_key).post(f"{JOBS_URL}/{job['id']}/stop").status_code == 200
    run_labeling_sweeps()

    # then: every object labeled once, and the job ended with the full manifest
    ended = get_job(requester, job["id"])
    assert labeled["human_labeled"] == OBJECTS and labeled["unlabeled"] == 0
    assert ended["status"] == "stopped"
    assert DataObject.objects.filter(job_id=job["id"]).count() == OBJECTS
    assert 0 < most_out <= CONCURRENT
    manifest = final_manifest(storage_root, job["name"])
    assert [line["dataset_object_id"] for line in manifest] == [item["dataset_object_id"] for item in objects]
    assert all("species-metadata" in line and "failure-reason" not in line["species-metadata"] for line in manifest)

    # one event per object, carrying its final manifest line
    events = labeled_events()
    assert len(events) == OBJECTS
    assert {event["data"]["job_id"] for event in events} == {job["id"]}
    by_id = {line["dataset_object_id"]: line for line in manifest}
    assert sorted(event["data"]["line"]["dataset_object_id"] for event in events) == sorted(by_id)
    assert all(event["data"]["line"] == by_id[event["data"]["line"]["dataset_object_id"]] for event in events)

    # the output parts: every manifest line exactly once
    parts = part_lines(storage_root, job["name"])
    assert len({name for name, _ in parts}) > 1
    assert sorted(json.dumps(line, sort_keys=True) for _, line in parts) == sorted(
        json.dumps(line, sort_keys=True) for line in manifest
    )
    assert ledger_violations() == []


def test_object_labeled_events_reach_a_real_receiver_signed(make_requester, make_worker, storage_root, receiver):
    # given
    requester = make_requester()
    register(requester)
    subscribe(requester, f"http://127.0.0.1:{receiver.port}/labels")
    job = start(requester, max_concurrent_task_count=5)
    workers = [make_worker() for _ in range(2)]

    # when: 12 objects in three calls, answered, the pass after each
    for start_at in range(0, 12, 4):
        add_ok(
            requester,
            job["id"],
            [{"source": f"object {i}: cat", "dataset_object_id": f"o{i}"} for i in range(start_at, start_at + 4)],
        )
        while answer_all(workers):
            run_labeling_sweeps()
    run_labeling_sweeps()

    # then: every event arrives, signed, its body the outbox row's bytes
    events = {event["id"]: event for event in labeled_events()}
    assert sorted(event["data"]["line"]["dataset_object_id"] for event in events.values()) == sorted(
        f"o{i}" for i in range(12)
    )
    end = time.monotonic() + 30
    while {json.loads(item.body)["id"] for item in receiver.received} != set(events) and time.monotonic() < end:
        webhooks_sweep()
        time.sleep(0.1)
    received = {json.loads(item.body)["id"]: item for item in receiver.received}
    assert set(received) == set(events)
    assert all(item.headers["groundwork-signature"].startswith("t=") for item in received.values())
    assert all(json.loads(item.body) == events[event_id] for event_id, item in received.items())
