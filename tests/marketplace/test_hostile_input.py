"""Bodies that Python's json accepts but the database or the stack cannot: always a 400."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment, Task


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "x", "reward": "0.01", "input": {"v": NaN}}',
        '{"title": "x", "reward": "0.01", "input": Infinity}',
        '{"title": "a\\u0000b", "reward": "0.01"}',
        '{"title": "x", "reward": "0.01", "input": ' + "[" * 100_000 + "}",
    ],
)
def test_bodies_the_database_cannot_hold_are_a_400_and_create_nothing(requester_client, body):
    response = requester_client.generic("POST", "/api/v1/tasks", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Task.objects.count() == 0


def test_an_answer_with_a_nul_character_is_a_400_and_changes_nothing(requester, make_tasks, make_worker):
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    response = worker.client.generic(
        "POST",
        f"/api/v1/worker/assignments/{assignment_id}/submit",
        '{"answer": {"t": "\\u0000"}}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Assignment.objects.get(pk=assignment_id).status == "accepted"


def test_an_answer_schema_with_a_non_string_dialect_is_a_400(requester_client):
    response = requester_client.post(
        "/api/v1/tasks", {"title": "x", "reward": "0.01", "answer_schema": {"$schema": 5}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["answer_schema"]
    assert Task.objects.count() == 0
