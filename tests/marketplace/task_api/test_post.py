"""POST /api/v1/tasks: one object or a list, and money formatting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.models import Batch, Task
from marketplace.services.workteams import public_workforce
from tests.marketplace.task_api.helpers import counts, post_tasks, task_body


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
