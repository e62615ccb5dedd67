"""Helpers of the appeal tests: a rejected assignment, and the appeal routes as clients call them.

Defaults: fee 20 % with a $0.01 minimum, so a $0.05 task costs $0.06 a slot.
"""

from __future__ import annotations

from marketplace.models import Appeal, WorkerMessage
from tests.marketplace.ledger_api.helpers import post_task
from tests.support.factories import client_with
from tests.support.worker_api import claim_and_submit


def rejected_assignment(requester, worker, *, feedback: str = "The picture shows a dog.") -> int:
    """A one-slot $0.05 task of ``requester`` answered by ``worker`` and rejected; its id."""
    post_task(requester, slots=1)
    assignment_id = claim_and_submit(worker)
    response = client_with(requester.api_key).post(
        f"/api/v1/assignments/{assignment_id}/reject", {"feedback": feedback}, format="json"
    )
    assert response.status_code == 200, response.content
    return assignment_id


def appeal(worker, assignment_id: int, body: object = None, **headers):
    body = {"message": "It is a cat: look at its ears."} if body is None else body
    return worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/appeal", body, format="json", **headers)


def accept(requester, appeal_id: int, body: dict | None = None):
    return client_with(requester.api_key).post(f"/api/v1/appeals/{appeal_id}/accept", body or {}, format="json")


def decline(requester, appeal_id: int, body: dict | None = None):
    body = {"reply": "The snout is a dog's."} if body is None else body
    return client_with(requester.api_key).post(f"/api/v1/appeals/{appeal_id}/decline", body, format="json")


def appeals_of(requester, query: str = "") -> list[dict]:
    response = client_with(requester.api_key).get(f"/api/v1/appeals{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def appeal_rows() -> list[tuple]:
    """Every appeal's state: "nothing changed" means this is the same before and after."""
    return list(Appeal.objects.order_by("pk").values_list("pk", "status", "reply", "decided_at"))


def messages_to(worker) -> list[tuple[str, str]]:
    return list(WorkerMessage.objects.filter(worker=worker).order_by("pk").values_list("subject", "message"))
