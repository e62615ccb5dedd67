"""Requester task API through the real routes: POST/GET /api/v1/tasks, detail, stop, close,
slots, batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment, Batch, Task
from marketplace.services.sweeps import run_sweeps
from marketplace.services.workteams import public_workforce

TASKS_URL = "/api/v1/tasks"


def task_body(**fields) -> dict:
    return {"title": "Is this a cat?", "reward": "0.05", **fields}


def counts() -> tuple[int, int]:
    return Task.objects.count(), Batch.objects.count()


def post_tasks(client, body, **extra):
    return client.post(TASKS_URL, body, format="json", **extra)


# --- POST /api/v1/tasks: one object ----------------------------------------------------------


def test_post_one_task_answers_201_with_the_task(requester, requester_client):
    # given
    body = task_body(
        description="Look at the picture",
        input={"url": "https://example.com/1.jpg"},
        labels=["cat", "dog"],
        instructions="Pick one",
        slots=3,
        assignment_duration_seconds=600,
        lifetime_seconds=86400,
        auto_approval_delay_seconds=120,
        priority=7,
    )
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 201
    data = response.json()
    task = Task.objects.get()
    batch = Batch.objects.get()
    assert data["id"] == task.pk
    assert data["batch_id"] == batch.pk
    assert data["workteam_id"] == public_workforce().pk
    assert data["status"] == "open"
    assert data["title"] == "Is this a cat?"
    assert data["description"] == "Look at the picture"
    assert data["task_type"] == "custom"
    assert data["input"] == {"url": "https://example.com/1.jpg"}
    assert data["answer_schema"] is None
    assert data["labels"] == ["cat", "dog"]
    assert data["instructions"] == "Pick one"
    assert data["slots"] == 3
    assert data["slots_used"] == 0
    assert data["slots_submitted"] == 0
    assert data["reward"] == "0.05"
    assert data["assignment_duration_seconds"] == 600
    assert data["lifetime_seconds"] == 86400
    assert data["auto_approval_delay_seconds"] == 120
    assert data["priority"] == 7
    assert data["closed_at"] is None
    assert batch.requester == requester.organization
    assert batch.auto_approval_delay_seconds == 120
    assert task.expires_at - task.created_at == pytest.approx(timedelta(seconds=86400), abs=timedelta(seconds=5))


def test_post_one_task_takes_the_defaults(requester_client, settings):
    # when
    response = post_tasks(requester_client, task_body())
    # then
    assert response.status_code == 201
    data = response.json()
    assert data["slots"] == 1
    assert data["priority"] == 0
    assert data["labels"] == []
    assert data["input"] == {}
    assert data["assignment_duration_seconds"] == settings.GROUNDWORK["ASSIGNMENT_DURATION_SECONDS"] == 3600
    assert data["lifetime_seconds"] == settings.GROUNDWORK["TASK_LIFETIME_SECONDS"] == 7 * 86400
    assert data["auto_approval_delay_seconds"] == settings.GROUNDWORK["AUTO_APPROVAL_DELAY_SECONDS"] == 3 * 86400
    assert data["workteam_id"] == public_workforce().pk


# --- POST /api/v1/tasks: a list ---------------------------------------------------------------


def test_post_a_list_creates_all_in_order_in_one_batch(requester_client):
    # given
    body = [task_body(title=f"task {i}", input={"i": i}) for i in range(5)]
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 201
    data = response.json()
    assert isinstance(data, list)
    assert [item["title"] for item in data] == [f"task {i}" for i in range(5)]
    assert [item["input"] for item in data] == [{"i": i} for i in range(5)]
    ids = [item["id"] for item in data]
    assert ids == sorted(ids)
    assert len({item["batch_id"] for item in data}) == 1
    assert list(Task.objects.order_by("id").values_list("title", flat=True)) == [f"task {i}" for i in range(5)]
    assert Batch.objects.count() == 1


def test_a_list_of_one_answers_with_a_list(requester_client):
    # when
    response = post_tasks(requester_client, [task_body()])
    # then
    assert response.status_code == 201
    assert isinstance(response.json(), list)
    assert len(response.json()) == 1


def test_each_call_without_batch_id_creates_its_own_batch(requester_client):
    # when
    first = post_tasks(requester_client, task_body())
    second = post_tasks(requester_client, [task_body(), task_body()])
    # then
    assert first.status_code == second.status_code == 201
    assert first.json()["batch_id"] != second.json()[0]["batch_id"]
    assert Batch.objects.count() == 2


def test_one_bad_item_in_a_list_creates_nothing(requester_client):
    # given
    body = [task_body(), task_body(slots=0), task_body()]
    before = counts()
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"1.slots": ["must be between 1 and 50"]}
    assert error["message"] == "1.slots: must be between 1 and 50"
    assert counts() == before == (0, 0)


def test_every_bad_item_of_a_list_is_named(requester_client):
    # given
    body = [task_body(priority=101), task_body(), task_body(reward=0.05, slots=51)]
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"0.priority", "2.reward", "2.slots"}
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"slots": 0}, "slots"),
        ({"slots": 51}, "slots"),
        ({"slots": "3"}, "slots"),
        ({"slots": True}, "slots"),
        ({"reward": "0.0000001"}, "reward"),
        ({"reward": 0.05}, "reward"),
        ({"reward": "-0.05"}, "reward"),
        ({"reward": "five cents"}, "reward"),
        ({"reward": "NaN"}, "reward"),
        ({"assignment_duration_seconds": 29}, "assignment_duration_seconds"),
        ({"assignment_duration_seconds": 7 * 86400 + 1}, "assignment_duration_seconds"),
        ({"lifetime_seconds": 29}, "lifetime_seconds"),
        ({"lifetime_seconds": 365 * 86400 + 1}, "lifetime_seconds"),
        ({"priority": 101}, "priority"),
        ({"priority": -1}, "priority"),
        ({"colour": "blue"}, "colour"),
        ({"answer_schema": {"type": "no-such-type"}}, "answer_schema.type"),
        ({"answer_schema": "string"}, "answer_schema"),
        ({"labels": "cat"}, "labels"),
        ({"labels": ["cat", ""]}, "labels"),
        ({"labels": ["cat", "cat"]}, "labels"),
        ({"task_type": "no_such_type"}, "task_type"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"workteam_id": "public"}, "workteam_id"),
        ({"batch_id": "1"}, "batch_id"),
        ({"batch_id": True}, "batch_id"),
        ({"batch_id": 1.0}, "batch_id"),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_creates_nothing(requester_client, fields, path):
    # given
    before = counts()
    # when
    single = post_tasks(requester_client, task_body(**fields))
    listed = post_tasks(requester_client, [task_body(), task_body(**fields)])
    # then
    assert single.status_code == 400
    assert single.json()["error"]["code"] == "invalid"
    assert list(single.json()["error"]["fields"]) == [path]
    assert listed.status_code == 400
    assert list(listed.json()["error"]["fields"]) == [f"1.{path}"]
    assert counts() == before == (0, 0)


def test_a_missing_reward_is_a_400(requester_client):
    # when
    response = post_tasks(requester_client, {"title": "no reward"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reward": ["is required"]}
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"assignment_duration_seconds": 30, "lifetime_seconds": 30}, (30, 30)),
        ({"assignment_duration_seconds": 7 * 86400, "lifetime_seconds": 365 * 86400}, (7 * 86400, 365 * 86400)),
    ],
)
def test_durations_at_the_bounds_are_accepted(requester_client, fields, expected):
    # when
    response = post_tasks(requester_client, task_body(**fields))
    # then
    assert response.status_code == 201
    assert (response.json()["assignment_duration_seconds"], response.json()["lifetime_seconds"]) == expected


@pytest.mark.parametrize("field", ["workteam_id", "auto_approval_delay_seconds"])
def test_batch_fields_differing_within_a_call_are_a_400(requester, requester_client, field):
    # given
    team = requester_client.post("/api/v1/workteams", {"name": "mine"}, format="json").json()
    values = {"workteam_id": (public_workforce().pk, team["id"]), "auto_approval_delay_seconds": (60, 120)}[field]
    body = [task_body(**{field: values[0]}), task_body(**{field: values[1]})]
    before = counts()
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [f"1.{field}"]
    assert counts() == before == (0, 0)


def test_batch_fields_that_agree_within_a_call_go_on_the_new_batch(requester_client):
    # given
    team = requester_client.post("/api/v1/workteams", {"name": "mine"}, format="json").json()
    body = [task_body(workteam_id=team["id"], auto_approval_delay_seconds=60) for _ in range(2)]
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 201
    assert [item["workteam_id"] for item in response.json()] == [team["id"], team["id"]]
    batch = Batch.objects.get()
    assert (batch.workteam_id, batch.auto_approval_delay_seconds) == (team["id"], 60)


def test_tasks_join_a_named_batch(requester_client):
    # given
    first = post_tasks(requester_client, task_body(auto_approval_delay_seconds=60)).json()
    # when
    body = [task_body(batch_id=first["batch_id"]), task_body(batch_id=first["batch_id"])]
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 201
    assert [item["batch_id"] for item in response.json()] == [first["batch_id"]] * 2
    assert [item["auto_approval_delay_seconds"] for item in response.json()] == [60, 60]
    assert Batch.objects.count() == 1
    assert Task.objects.filter(batch_id=first["batch_id"]).count() == 3


def test_a_named_batch_with_a_differing_workteam_is_a_400(requester_client):
    # given
    team = requester_client.post("/api/v1/workteams", {"name": "mine"}, format="json").json()
    first = post_tasks(requester_client, task_body()).json()
    before = counts()
    # when
    single = post_tasks(requester_client, task_body(batch_id=first["batch_id"], workteam_id=team["id"]))
    listed = post_tasks(
        requester_client,
        [task_body(batch_id=first["batch_id"]), task_body(batch_id=first["batch_id"], workteam_id=team["id"])],
    )
    # then
    assert single.status_code == 400
    assert list(single.json()["error"]["fields"]) == ["workteam_id"]
    assert listed.status_code == 400
    assert list(listed.json()["error"]["fields"]) == ["1.workteam_id"]
    assert counts() == before == (1, 1)


def test_a_named_batch_with_a_differing_auto_approval_delay_is_a_400(requester_client):
    # given
    first = post_tasks(requester_client, task_body(auto_approval_delay_seconds=60)).json()
    # when
    response = post_tasks(requester_client, task_body(batch_id=first["batch_id"], auto_approval_delay_seconds=61))
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["auto_approval_delay_seconds"]
    assert counts() == (1, 1)


def test_batch_ids_differing_within_a_call_are_a_400(requester_client):
    # given
    a = post_tasks(requester_client, task_body()).json()["batch_id"]
    b = post_tasks(requester_client, task_body()).json()["batch_id"]
    # when
    response = post_tasks(requester_client, [task_body(batch_id=a), task_body(batch_id=b)])
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["1.batch_id"]
    assert counts() == (2, 2)


def test_a_differing_batch_id_is_named_by_its_index_in_the_list(requester_client):
    # given
    batch_id = post_tasks(requester_client, task_body()).json()["batch_id"]
    # when
    response = post_tasks(requester_client, ["not an object", task_body(batch_id=batch_id), task_body()])
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "0": ["must be a JSON object"],
        "2.batch_id": ["must be the same for every task of one call"],
    }
    assert counts() == (1, 1)


def test_an_unknown_batch_id_is_a_400(requester_client):
    # when
    response = post_tasks(requester_client, task_body(batch_id=999999))
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"batch_id": ["no such batch"]}
    assert counts() == (0, 0)


def test_an_unknown_workteam_id_is_a_400(requester_client):
    # when
    response = post_tasks(requester_client, task_body(workteam_id=999999))
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"workteam_id": ["no such workteam"]}
    assert counts() == (0, 0)


def test_a_list_over_1000_is_a_400(requester_client):
    # given
    body = [task_body() for _ in range(1001)]
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"non_field_errors": ["at most 1000 tasks per call"]}
    assert counts() == (0, 0)


def test_a_list_of_exactly_1000_is_created(requester_client):
    # when
    response = post_tasks(requester_client, [task_body(title=f"t{i}") for i in range(1000)])
    # then
    assert response.status_code == 201
    assert len(response.json()) == 1000
    assert response.json()[-1]["title"] == "t999"
    assert counts() == (1000, 1)


@pytest.mark.parametrize("body", [[], "a string", 5, ["not an object"]])
def test_a_body_that_is_no_task_is_a_400(requester_client, body):
    # when
    response = post_tasks(requester_client, body)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert counts() == (0, 0)


# --- money formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown", "micros"),
    [
        ("0.05", "0.05", 50_000),
        ("0.036", "0.036", 36_000),
        ("12.5", "12.50", 12_500_000),
        ("12.50", "12.50", 12_500_000),
        ("3", "3.00", 3_000_000),
        (3, "3.00", 3_000_000),
        ("0.000001", "0.000001", 1),
        ("0", "0.00", 0),
        ("0.100000", "0.10", 100_000),
    ],
)
def test_rewards_are_decimal_strings_trimmed_past_the_cents(requester_client, given, shown, micros):
    # when
    response = post_tasks(requester_client, task_body(reward=given))
    # then
    assert response.status_code == 201
    assert response.json()["reward"] == shown
    assert Task.objects.get().reward_micros == micros


# --- GET /api/v1/tasks -----------------------------------------------------------------------


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


# --- GET /api/v1/tasks/{id} ------------------------------------------------------------------


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


# --- stop, close --------------------------------------------------------------------------


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


# --- slots ---------------------------------------------------------------------------------


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


# --- batches -------------------------------------------------------------------------------


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
    assert data["tasks"] == {"open": 1, "full": 1, "complete": 1, "expired": 0, "stopped": 1, "total": 4}
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
