"""Worker blocks through the real routes and the real dispatch."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment, WorkerBlock
from tests.support.factories import client_with
from tests.support.worker_api import claim

from .qualification_helpers import BLOCKS_URL, claimed_task_ids, post_task, snapshot

pytestmark = pytest.mark.django_db


def block(requester, worker, reason="copies answers"):
    return client_with(requester.api_key).post(BLOCKS_URL, {"worker_id": worker.pk, "reason": reason}, format="json")


def test_a_blocked_worker_is_offered_others_tasks_but_not_the_blockers_until_unblocked(make_requester, make_worker):
    # given
    blocker, other = make_requester(), make_requester()
    blockers_task = post_task(blocker)
    others_task = post_task(other)
    worker = make_worker()

    # when
    blocked = block(blocker, worker)
    offered_while_blocked = claimed_task_ids(worker)

    # then
    assert blocked.status_code == 201
    assert blocked.json() == {
        "id": WorkerBlock.objects.get().pk,
        "worker_id": worker.pk,
        "reason": "copies answers",
        "created_at": blocked.json()["created_at"],
        "updated_at": blocked.json()["updated_at"],
    }
    assert offered_while_blocked == [others_task["id"]]

    # when
    unblocked = client_with(blocker.api_key).delete(f"{BLOCKS_URL}/{worker.pk}")
    unblocked_again = client_with(blocker.api_key).delete(f"{BLOCKS_URL}/{worker.pk}")

    # then
    assert unblocked.status_code == 204
    assert unblocked_again.status_code == 404
    assert claimed_task_ids(worker) == [blockers_task["id"]]


def test_a_live_assignment_stays_submittable_after_a_block(make_requester, make_worker):
    # given
    blocker = make_requester()
    post_task(blocker, slots=1)
    post_task(blocker, slots=1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]

    # when
    assert block(blocker, worker).status_code == 201
    submitted = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "x"}}, format="json"
    )

    # then: the work in progress is kept; no more of the blocker's tasks are offered
    assert submitted.status_code == 200
    assert Assignment.objects.get(pk=assignment_id).status == "submitted"
    assert claim(worker).status_code == 204


def test_blocking_a_worker_who_never_worked_for_you_is_allowed_and_reblocking_replaces_the_reason(
    make_requester, make_worker
):
    # given
    blocker = make_requester()
    worker = make_worker()
    # when
    first = block(blocker, worker, "known scraper")
    second = block(blocker, worker, "known scraper, confirmed")
    listed = client_with(blocker.api_key).get(BLOCKS_URL).json()
    # then
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert [(row["worker_id"], row["reason"]) for row in listed["results"]] == [(worker.pk, "known scraper, confirmed")]
    assert listed["next"] is None


def test_the_blocks_list_is_paginated(make_requester, make_worker):
    blocker = make_requester()
    workers = [make_worker() for _ in range(3)]
    for worker in workers:
        block(blocker, worker)
    client = client_with(blocker.api_key)
    first = client.get(BLOCKS_URL, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    assert [row["worker_id"] for row in first["results"] + second["results"]] == [w.pk for w in workers]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"worker_id": "WORKER"}, {"reason": ["is required"]}),
        ({"worker_id": "WORKER", "reason": "  "}, {"reason": ["is required"]}),
        ({"worker_id": "WORKER", "reason": "x" * 1001}, {"reason": ["must be at most 1000 characters"]}),
        ({"worker_id": "WORKER", "reason": 5}, {"reason": ["must be a string"]}),
        ({"reason": "r"}, {"worker_id": ["must be an integer"]}),
        ({"worker_id": True, "reason": "r"}, {"worker_id": ["must be an integer"]}),
        ({"worker_id": 99999999, "reason": "r"}, {"worker_id": ["no such worker"]}),
    ],
)
def test_every_bad_block_field_is_a_400_naming_it(make_requester, make_worker, body, fields):
    blocker = make_requester()
    worker = make_worker()
    body = {key: worker.pk if value == "WORKER" else value for key, value in body.items()}
    before = snapshot()
    response = client_with(blocker.api_key).post(BLOCKS_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert snapshot() == before


def test_a_reason_of_1000_characters_is_accepted(make_requester, make_worker):
    assert block(make_requester(), make_worker(), "x" * 1000).status_code == 201


def test_another_requesters_blocks_are_invisible_and_404(make_requester, make_worker):
    # given
    blocker, other = make_requester(), make_requester()
    worker = make_worker()
    assert block(blocker, worker).status_code == 201
    other_client = client_with(other.api_key)
    # when
    listed = other_client.get(BLOCKS_URL).json()
    removed = other_client.delete(f"{BLOCKS_URL}/{worker.pk}")
    # then
    assert listed == {"results": [], "next": None}
    assert removed.status_code == 404
    assert WorkerBlock.objects.count() == 1
