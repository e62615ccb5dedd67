"""Helpers shared by the qualification and block tests: the real routes, nothing mocked."""

from __future__ import annotations

from marketplace.models import Assignment, Task
from tests.support.factories import client_with
from tests.support.worker_api import claim

TYPES_URL = "/api/v1/qualification-types"
BLOCKS_URL = "/api/v1/worker-blocks"
TASKS_URL = "/api/v1/tasks"
TESTS_URL = "/api/v1/worker/qualification-tests"


def create_type(requester, **body) -> dict:
    response = client_with(requester.api_key).post(TYPES_URL, {"name": "Expert", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def system_type_id(requester, key: str) -> int:
    rows = client_with(requester.api_key).get(TYPES_URL).json()["results"]
    return next(row["id"] for row in rows if row["system_key"] == key)


def grant(requester, type_id: int, worker, value: int = 1):
    return client_with(requester.api_key).post(
        f"{TYPES_URL}/{type_id}/workers", {"worker_id": worker.pk, "value": value}, format="json"
    )


def post_task(requester, requirements=None, **fields) -> dict:
    body = {"title": "restricted" if requirements else "open to all", "reward": "0.05", "slots": 2, **fields}
    if requirements is not None:
        body["qualification_requirements"] = requirements
    response = client_with(requester.api_key).post(TASKS_URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def claimed_task_ids(worker) -> list[int]:
    """Claim until 204 (within the live-assignment cap): the task ids offered, in order."""
    ids = []
    while True:
        response = claim(worker)
        if response.status_code == 204:
            return ids
        assert response.status_code == 200, response.content
        ids.append(response.json()["task_id"])


def work_done(requester_org, worker, *, approve: int, reject: int, requester_client) -> None:
    """Give ``worker`` settled history with ``requester_org``: tasks posted, claimed, submitted,
    approved or rejected through the real routes."""
    for settle in ["approve"] * approve + ["reject"] * reject:
        task = requester_client.post(TASKS_URL, {"title": "history", "reward": "0.05"}, format="json").json()
        response = claim(worker)
        assert response.status_code == 200, response.content
        assert response.json()["task_id"] == task["id"]
        assignment_id = response.json()["assignment_id"]
        submitted = worker.client.post(
            f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "x"}}, format="json"
        )
        assert submitted.status_code == 200, submitted.content
        settled = requester_client.post(f"/api/v1/assignments/{assignment_id}/{settle}")
        assert settled.status_code == 200, settled.content


def snapshot() -> dict:
    from marketplace.models import Batch, QualificationGrant, QualificationTestAttempt, QualificationType, WorkerBlock

    return {
        "types": QualificationType.objects.filter(owner__isnull=False).count(),
        "grants": QualificationGrant.objects.count(),
        "attempts": QualificationTestAttempt.objects.count(),
        "blocks": WorkerBlock.objects.count(),
        "batches": Batch.objects.count(),
        "tasks": Task.objects.count(),
        "assignments": Assignment.objects.count(),
    }
