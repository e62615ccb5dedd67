"""Submitting and returning an assignment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.marketplace.assignment_flow.helpers import approve, row, task_row
from tests.support.worker_api import claim, give_back, submit


def test_submit_stores_the_answer(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, auto_approval_delay_seconds=60)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    # when
    response = submit(worker, assignment_id, {"label": "cat", "nested": {"n": [1, 2]}})
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == assignment_id
    assert data["task_id"] == task.pk
    assert data["status"] == "submitted"
    assert data["answer"] == {"label": "cat", "nested": {"n": [1, 2]}}
    assert data["submitted_at"] is not None
    stored = row(assignment_id)
    assert stored["status"] == "submitted"
    assert stored["answer"] == {"label": "cat", "nested": {"n": [1, 2]}}
    assert stored["auto_approve_at"] - stored["submitted_at"] == timedelta(seconds=60)


def test_the_identical_answer_again_is_a_200_and_changes_nothing(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    first = submit(worker, assignment_id, {"label": "cat"})
    stored = row(assignment_id)
    # when
    again = submit(worker, assignment_id, {"label": "cat"})
    # then
    assert again.status_code == 200
    assert again.json() == first.json()
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_submitted"] == 1


def test_the_identical_answer_after_approval_is_still_a_200(requester, requester_client, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"label": "cat"})
    approve(requester_client, assignment_id)
    # when
    again = submit(worker, assignment_id, {"label": "cat"})
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "approved"


def test_a_different_answer_after_submitting_is_a_409(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"label": "cat"})
    stored = row(assignment_id)
    # when
    response = submit(worker, assignment_id, {"label": "dog"})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_submitted"
    assert row(assignment_id) == stored


def test_an_answer_failing_the_schema_is_a_400_naming_the_path(requester, make_tasks, make_worker):
    # given
    schema = {
        "type": "object",
        "properties": {
            "label": {"enum": ["cat", "dog"]},
            "box": {"type": "object", "properties": {"w": {"type": "integer"}}},
        },
        "required": ["label"],
    }
    [task] = make_tasks(requester.organization, 1, answer_schema=schema)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    stored = row(assignment_id)
    # when
    wrong_label = submit(worker, assignment_id, {"label": "bird"})
    wrong_nested = submit(worker, assignment_id, {"label": "cat", "box": {"w": "wide"}})
    missing = submit(worker, assignment_id, {})
    # then
    assert wrong_label.status_code == 400
    assert wrong_label.json()["error"]["code"] == "invalid"
    assert list(wrong_label.json()["error"]["fields"]) == ["answer.label"]
    assert list(wrong_nested.json()["error"]["fields"]) == ["answer.box.w"]
    assert missing.status_code == 400
    assert list(missing.json()["error"]["fields"]) == ["answer"]
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_submitted"] == 0
    assert submit(worker, assignment_id, {"label": "cat", "box": {"w": 3}}).status_code == 200


@pytest.mark.parametrize("body", [{"answer": "cat"}, {"answer": ["cat"]}, {"answer": None}, {}, ["cat"]])
def test_an_answer_that_is_not_an_object_is_a_400(requester, make_tasks, make_worker, body):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    stored = row(assignment_id)
    # when
    response = worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["answer"]
    assert row(assignment_id) == stored


def test_submitting_a_missing_assignment_is_a_404(make_worker):
    # when
    response = submit(make_worker(), 999999, {})
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_return_frees_the_slot_for_another_worker(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    first, second = make_worker(), make_worker()
    assignment_id = claim(first).json()["assignment_id"]
    assert claim(second).status_code == 204
    assert task_row(task.pk)["status"] == "full"
    # when
    response = give_back(first, assignment_id)
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "returned"
    assert response.json()["returned_at"] is not None
    assert task_row(task.pk) == {"status": "open", "slots": 1, "slots_used": 0, "slots_submitted": 0}
    assert claim(first).status_code == 204  # never the same task twice
    taken = claim(second)
    assert taken.status_code == 200
    assert taken.json()["task_id"] == task.pk
    assert task_row(task.pk)["status"] == "full"


def test_returning_twice_is_a_200(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    give_back(worker, assignment_id)
    stored = row(assignment_id)
    # when
    again = give_back(worker, assignment_id)
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "returned"
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_used"] == 0


def test_return_after_submit_is_a_409(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"x": 1})
    stored, task_before = row(assignment_id), task_row(task.pk)
    # when
    response = give_back(worker, assignment_id)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_submitted"
    assert row(assignment_id) == stored
    assert task_row(task.pk) == task_before


def test_submit_after_return_is_a_409(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    give_back(worker, assignment_id)
    stored = row(assignment_id)
    # when
    response = submit(worker, assignment_id, {"x": 1})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_live"
    assert row(assignment_id) == stored
