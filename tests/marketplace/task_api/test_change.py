"""Stopping and closing tasks, adding slots, and batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from marketplace.services.workteams import public_workforce
from tests.marketplace.task_api.helpers import TASKS_URL, counts, post_tasks, task_body


def test_stop_an_open_task(requester_client):
    # given
    task = post_tasks(requester_client, task_body()).json()
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "stopped"
    assert response.json()["closed_at"] is not None
    assert Task.objects.get().status == Task.Status.STOPPED


def test_stop_is_idempotent(requester_client):
    # given
    task = post_tasks(requester_client, task_body()).json()
    first = requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    # when
    second = requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    # then
    assert second.status_code == 200
    assert second.json() == first.json()


def test_stop_a_full_task(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=1)).json()
    make_worker().client.post("/api/v1/worker/tasks/next")
    assert Task.objects.get().status == Task.Status.FULL
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "stopped"


def test_stop_a_complete_task_is_a_409(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=1)).json()
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {}}, format="json")
    assert Task.objects.get().status == Task.Status.COMPLETE
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "task_closed"
    assert Task.objects.get().status == Task.Status.COMPLETE


def test_close_an_open_task_makes_it_complete(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=2)).json()
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/close")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "complete"
    assert response.json()["closed_at"] is not None
    assert make_worker().client.post("/api/v1/worker/tasks/next").status_code == 204


def test_close_is_idempotent_and_refused_on_a_stopped_task(requester_client):
    # given
    closed = post_tasks(requester_client, task_body()).json()
    stopped = post_tasks(requester_client, task_body()).json()
    requester_client.post(f"{TASKS_URL}/{closed['id']}/close")
    requester_client.post(f"{TASKS_URL}/{stopped['id']}/stop")
    # when
    again = requester_client.post(f"{TASKS_URL}/{closed['id']}/close")
    refused = requester_client.post(f"{TASKS_URL}/{stopped['id']}/close")
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "complete"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "task_closed"
    assert Task.objects.get(pk=stopped["id"]).status == Task.Status.STOPPED


def test_adding_slots_to_a_full_task_opens_it(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=1)).json()
    make_worker().client.post("/api/v1/worker/tasks/next")
    assert Task.objects.get().status == Task.Status.FULL
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/slots", {"add": 2}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert response.json()["slots"] == 3
    assert response.json()["slots_used"] == 1
    assert make_worker().client.post("/api/v1/worker/tasks/next").status_code == 200


def test_adding_slots_to_a_complete_task_opens_it(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=1)).json()
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {}}, format="json")
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/slots", {"add": 1}, format="json")
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["slots"], response.json()["closed_at"]) == ("open", 2, None)


@pytest.mark.parametrize("how", ["stop", "expire"])
def test_adding_slots_to_a_stopped_or_expired_task_is_a_409(requester_client, how):
    # given
    task = post_tasks(requester_client, task_body(slots=2)).json()
    if how == "stop":
        requester_client.post(f"{TASKS_URL}/{task['id']}/stop")
    else:
        Task.objects.filter(pk=task["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
        run_sweeps()
    status_before = Task.objects.get().status
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/slots", {"add": 1}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "task_closed"
    assert Task.objects.get().slots == 2
    assert Task.objects.get().status == status_before == ("stopped" if how == "stop" else "expired")


@pytest.mark.parametrize("add", [49, 0, -1, "1", None, True])
def test_adding_bad_or_too_many_slots_is_a_400(requester_client, add):
    # given
    task = post_tasks(requester_client, task_body(slots=2)).json()
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/slots", {"add": add}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["add"]
    assert Task.objects.get().slots == 2


def test_adding_slots_up_to_50_is_allowed(requester_client):
    # given
    task = post_tasks(requester_client, task_body(slots=2)).json()
    # when
    response = requester_client.post(f"{TASKS_URL}/{task['id']}/slots", {"add": 48}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["slots"] == 50


def test_batch_detail_counts_tasks_and_assignments_by_status(requester_client, make_worker):
    # given
    tasks = post_tasks(requester_client, [task_body(slots=1) for _ in range(4)]).json()
    batch_id = tasks[0]["batch_id"]
    submitter, holder = make_worker(), make_worker()
    submitted = submitter.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    submitter.client.post(f"/api/v1/worker/assignments/{submitted}/submit", {"answer": {}}, format="json")
    holder.client.post("/api/v1/worker/tasks/next")
    requester_client.post(f"{TASKS_URL}/{tasks[3]['id']}/stop")
    # when
    response = requester_client.get(f"/api/v1/batches/{batch_id}")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == batch_id
    assert data["workteam_id"] == public_workforce().pk
    assert data["auto_approval_delay_seconds"] == 3 * 86400
    assert data["auto_approval_policy"] == "approve_all"
    assert data["tasks"] == {"open": 1, "full": 1, "complete": 1, "expired": 0, "stopped": 1, "held": 0, "total": 4}
    assert data["assignments"] == {
        "accepted": 1,
        "submitted": 1,
        "approved": 0,
        "rejected": 0,
        "returned": 0,
        "expired": 0,
        "total": 2,
    }


def test_batches_list_shows_own_batches(requester_client):
    # given
    a = post_tasks(requester_client, task_body()).json()["batch_id"]
    b = post_tasks(requester_client, task_body()).json()["batch_id"]
    # when
    response = requester_client.get("/api/v1/batches")
    # then
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [a, b]
    assert response.json()["results"][0]["tasks"]["total"] == 1


def test_missing_batch_is_a_404(requester_client):
    # when
    response = requester_client.get("/api/v1/batches/999999")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Assignment.objects.count() == 0


def test_a_task_left_on_the_public_workforce_beside_one_naming_a_private_team_is_a_400(requester, requester_client):
    # given
    team = requester_client.post("/api/v1/workteams", {"name": "mine"}, format="json").json()
    before = counts()

    # when
    response = post_tasks(requester_client, [task_body(), task_body(workteam_id=team["id"])])

    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"1.workteam_id": ["must be the same for every task of one call"]}
    assert counts() == before


def test_an_omitted_auto_approval_delay_beside_a_given_one_is_a_400(requester_client):
    before = counts()
    response = post_tasks(requester_client, [task_body(auto_approval_delay_seconds=60), task_body()])
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["1.auto_approval_delay_seconds"]
    assert counts() == before


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/definitions/nope"},
        {"$ref": "#"},
        {"$ref": "https://example.com/schema.json"},
        {"definitions": {"a": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"},
    ],
)
def test_an_answer_schema_that_cannot_be_evaluated_is_refused_at_posting(requester_client, schema):
    before = counts()
    response = post_tasks(requester_client, task_body(answer_schema=schema))
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["answer_schema"]
    assert counts() == before


def test_an_answer_schema_with_an_inner_reference_works(requester, requester_client, make_worker):
    # given
    schema = {
        "definitions": {"label": {"enum": ["cat", "dog"]}},
        "type": "object",
        "properties": {"label": {"$ref": "#/definitions/label"}},
        "required": ["label"],
    }
    assert post_tasks(requester_client, task_body(answer_schema=schema)).status_code == 201
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]

    # when
    bad = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "cow"}}, format="json"
    )
    good = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"label": "cat"}}, format="json"
    )

    # then
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["answer.label"])
    assert good.status_code == 200
