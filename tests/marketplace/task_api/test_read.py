"""GET /api/v1/tasks and GET /api/v1/tasks/{id}."""

from __future__ import annotations

import pytest

from tests.marketplace.task_api.helpers import TASKS_URL, post_tasks, task_body


def test_list_shows_own_tasks_in_id_order(requester_client):
    # given
    created = post_tasks(requester_client, [task_body(title=f"t{i}") for i in range(3)]).json()
    # when
    response = requester_client.get(TASKS_URL)
    # then
    assert response.status_code == 200
    assert response.json()["next"] is None
    assert [item["id"] for item in response.json()["results"]] == [item["id"] for item in created]
    assert response.json()["results"] == created


def test_list_filters_by_batch_id(requester_client):
    # given
    first = post_tasks(requester_client, [task_body(), task_body()]).json()
    post_tasks(requester_client, task_body())
    # when
    response = requester_client.get(TASKS_URL, {"batch_id": first[0]["batch_id"]})
    # then
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [item["id"] for item in first]


def test_list_filters_by_status(requester_client):
    # given
    created = post_tasks(requester_client, [task_body(), task_body(), task_body()]).json()
    requester_client.post(f"{TASKS_URL}/{created[1]['id']}/stop")
    # when
    stopped = requester_client.get(TASKS_URL, {"status": "stopped"})
    opened = requester_client.get(TASKS_URL, {"status": "open"})
    # then
    assert [item["id"] for item in stopped.json()["results"]] == [created[1]["id"]]
    assert [item["id"] for item in opened.json()["results"]] == [created[0]["id"], created[2]["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"batch_id": "abc"}, "batch_id"),
        ({"batch_id": str(10**20)}, "batch_id"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "!!not-a-cursor!!"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_a_400(requester_client, params, field):
    # when
    response = requester_client.get(TASKS_URL, params)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]


def test_the_next_cursor_walks_every_task_once(requester_client):
    # given
    created = post_tasks(requester_client, [task_body(title=f"t{i}") for i in range(7)]).json()
    # when
    pages = []
    response = requester_client.get(TASKS_URL, {"limit": 3})
    pages.append(response.json())
    while response.json()["next"]:
        response = requester_client.get(response.json()["next"])
        assert response.status_code == 200
        pages.append(response.json())
    # then
    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert [item["id"] for page in pages for item in page["results"]] == [item["id"] for item in created]
    assert pages[-1]["next"] is None
    assert pages[0]["next"].startswith("http://testserver/api/v1/tasks?")
    assert "limit=3" in pages[0]["next"]


def test_the_cursor_keeps_the_filters(requester_client):
    # given
    first = post_tasks(requester_client, [task_body() for _ in range(3)]).json()
    post_tasks(requester_client, [task_body() for _ in range(3)])
    batch_id = first[0]["batch_id"]
    # when
    page1 = requester_client.get(TASKS_URL, {"batch_id": batch_id, "limit": 2}).json()
    page2 = requester_client.get(page1["next"]).json()
    # then
    assert [item["id"] for item in page1["results"] + page2["results"]] == [item["id"] for item in first]
    assert page2["next"] is None


def test_limit_1000_is_allowed(requester_client):
    # when
    response = requester_client.get(TASKS_URL, {"limit": 1000})
    # then
    assert response.status_code == 200
    assert response.json() == {"results": [], "next": None}


def test_detail_shows_status_and_assignments_with_timestamps(requester_client, make_worker):
    # given
    task = post_tasks(requester_client, task_body(slots=3)).json()
    first, second = make_worker(), make_worker()
    a1 = first.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    a2 = second.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    first.client.post(f"/api/v1/worker/assignments/{a1}/submit", {"answer": {"label": "cat"}}, format="json")
    # when
    response = requester_client.get(f"{TASKS_URL}/{task['id']}")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == task["id"]
    assert data["status"] == "open"
    assert data["slots_used"] == 2
    assert data["slots_submitted"] == 1
    by_id = {item["id"]: item for item in data["assignments"]}
    assert set(by_id) == {a1, a2}
    assert by_id[a1]["worker_id"] == first.pk
    assert by_id[a1]["task_id"] == task["id"]
    assert by_id[a1]["status"] == "submitted"
    assert by_id[a1]["answer"] == {"label": "cat"}
    assert by_id[a1]["accepted_at"] is not None
    assert by_id[a1]["deadline"] is not None
    assert by_id[a1]["submitted_at"] is not None
    assert by_id[a1]["auto_approve_at"] is not None
    assert by_id[a2]["worker_id"] == second.pk
    assert by_id[a2]["status"] == "accepted"
    assert by_id[a2]["answer"] is None
    assert by_id[a2]["submitted_at"] is None
    for key in ("approved_at", "rejected_at", "returned_at", "expired_at"):
        assert by_id[a1][key] is None
        assert by_id[a2][key] is None


def test_detail_of_a_missing_task_is_a_404(requester_client):
    # when
    response = requester_client.get(f"{TASKS_URL}/999999")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
