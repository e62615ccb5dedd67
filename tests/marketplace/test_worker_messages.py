"""Messages to workers: ``POST /api/v1/worker-messages`` (only to workers who worked for the
requester, rate-limited) and ``GET /api/v1/worker/messages``."""

from __future__ import annotations

import pytest

from marketplace.models import WorkerMessage
from tests.marketplace.ledger_api.helpers import post_task
from tests.support.factories import client_with
from tests.support.worker_api import claim_and_submit, claim_assignment_id

pytestmark = pytest.mark.django_db


def send(requester, body):
    return client_with(requester.api_key).post("/api/v1/worker-messages", body, format="json")


@pytest.fixture
def world(make_requester, make_worker):
    # given: a requester, a worker who answered one of its tasks, one who only holds one, and one
    # who worked for another requester
    requester, other = make_requester(), make_requester()
    worked, holding, stranger = make_worker(), make_worker(), make_worker()
    post_task(requester, slots=2)
    claim_and_submit(worked)
    claim_assignment_id(holding)
    post_task(other)
    claim_and_submit(stranger)
    return requester, other, worked, holding, stranger


def test_a_worker_who_worked_for_the_requester_reads_its_message(world):
    requester, _, worked, _, _ = world

    response = send(requester, {"worker_ids": [worked.pk], "subject": "Thanks", "message": "Great work on batch 7."})

    assert response.status_code == 201, response.content
    assert response.json() == {"worker_ids": [worked.pk], "subject": "Thanks", "message": "Great work on batch 7."}
    inbox = worked.client.get("/api/v1/worker/messages")
    assert inbox.status_code == 200
    (message,) = inbox.json()["results"]
    assert {k: message[k] for k in ("requester_id", "requester_name", "subject", "message")} == {
        "requester_id": requester.organization.pk,
        "requester_name": requester.organization.name,
        "subject": "Thanks",
        "message": "Great work on batch 7.",
    }
    assert inbox.json()["next"] is None


def test_workers_who_did_not_work_for_the_requester_are_named_and_nothing_is_sent(world):
    requester, _, worked, holding, stranger = world

    response = send(
        requester, {"worker_ids": [worked.pk, holding.pk, stranger.pk, 10**12], "subject": "s", "message": "m"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "worker_ids.1": [f"worker {holding.pk} has not worked for you"],
        "worker_ids.2": [f"worker {stranger.pk} has not worked for you"],
        "worker_ids.3": [f"worker {10**12} has not worked for you"],
    }
    assert WorkerMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"subject": "s", "message": "m"}, {"worker_ids": ["must be a list of 1 to 100 worker ids"]}),
        ({"worker_ids": [], "subject": "s", "message": "m"}, {"worker_ids": ["must be a list of 1 to 100 worker ids"]}),
        (
            {"worker_ids": ["7"], "subject": "s", "message": "m"},
            {"worker_ids.0": ["must be a worker id (a positive integer)"]},
        ),
        ({"worker_ids": [1], "message": "m"}, {"subject": ["is required"]}),
        ({"worker_ids": [1], "subject": "s" * 201, "message": "m"}, {"subject": ["must be at most 200 characters"]}),
        ({"worker_ids": [1], "subject": "s", "message": "m" * 4097}, {"message": ["must be at most 4096 characters"]}),
        ({"worker_ids": [1], "subject": "s", "message": "m", "cc": []}, {"cc": ["is not a known field"]}),
    ],
)
def test_bad_input_names_the_field(world, body, fields):
    requester = world[0]

    response = send(requester, body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert WorkerMessage.objects.count() == 0


def test_messages_are_rate_limited_per_requester(world, settings):
    requester, other, worked, _, stranger = world
    settings.GROUNDWORK = {
        **settings.GROUNDWORK,
        "WORKER_MESSAGE_RATE_PER_SECOND": 0.001,
        "WORKER_MESSAGE_RATE_BURST": 2,
    }
    body = {"worker_ids": [worked.pk], "subject": "s", "message": "m"}
    assert [send(requester, body).status_code for _ in range(2)] == [201, 201]

    limited = send(requester, body)

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert WorkerMessage.objects.filter(requester=requester.organization).count() == 2
    # another requester has its own bucket
    assert send(other, {"worker_ids": [stranger.pk], "subject": "s", "message": "m"}).status_code == 201


def test_a_worker_reads_only_its_own_messages_and_requesters_cannot_read_the_inbox(world):
    requester, _, worked, holding, _ = world
    send(requester, {"worker_ids": [worked.pk], "subject": "s", "message": "m"})

    assert holding.client.get("/api/v1/worker/messages").json()["results"] == []
    assert client_with(requester.api_key).get("/api/v1/worker/messages").status_code == 403
    assert worked.client.post("/api/v1/worker-messages", {}, format="json").status_code == 403
