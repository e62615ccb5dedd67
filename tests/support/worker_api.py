"""A worker's actions over the real REST routes, for tests: claim, submit, give back.

``claim`` and ``submit`` return the response as it came, for tests of refusals; the ``*_ok``
and ``claim_*`` forms assert success and return what a test goes on with. ``worker`` is one
made by ``factories.new_worker`` (the ``make_worker`` fixture): it carries its ``client``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NEXT_URL = "/api/v1/worker/tasks/next"
CAT = {"label": "cat"}


def assignment_url(assignment_id: int, action: str) -> str:
    return f"/api/v1/worker/assignments/{assignment_id}/{action}"


def claim(worker: Any) -> Any:
    """``POST /worker/tasks/next``: the response (200 with the offer, 204 with nothing open)."""
    return worker.client.post(NEXT_URL)


def claim_offer(worker: Any) -> dict | None:
    """The task offered (``assignment_id``, ``task_id``, ``input``…), or ``None`` when nothing
    is open; any other answer fails the test."""
    response = claim(worker)
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.content
    return response.json()


def claim_assignment_id(worker: Any) -> int:
    """The id of the assignment claimed; a test that calls it expects work to be open."""
    response = claim(worker)
    assert response.status_code == 200, response.content
    return response.json()["assignment_id"]


def submit(worker: Any, assignment_id: int, answer: object = CAT) -> Any:
    """``POST /worker/assignments/{id}/submit`` with ``{"answer": answer}``: the response."""
    return worker.client.post(assignment_url(assignment_id, "submit"), {"answer": answer}, format="json")


def submit_ok(worker: Any, assignment_id: int, answer: object = CAT) -> dict:
    """Submit and assert the answer was stored (200); the response's body."""
    response = submit(worker, assignment_id, answer)
    assert response.status_code == 200, response.content
    return response.json()


def claim_and_submit(worker: Any, answer: object = CAT) -> int:
    """Claim the next task and submit ``answer`` to it; the assignment's id."""
    assignment_id = claim_assignment_id(worker)
    submit_ok(worker, assignment_id, answer)
    return assignment_id


def give_back(worker: Any, assignment_id: int) -> Any:
    """``POST /worker/assignments/{id}/return``: the response."""
    return worker.client.post(assignment_url(assignment_id, "return"))


def answer_next(worker: Any, answer_for: Callable[[dict], object]) -> dict | None:
    """Claim the next task and submit ``answer_for(offer)``; the offer, or ``None`` when
    nothing is open."""
    offer = claim_offer(worker)
    if offer is not None:
        submit_ok(worker, offer["assignment_id"], answer_for(offer))
    return offer
