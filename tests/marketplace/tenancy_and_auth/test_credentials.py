"""Credentials, API keys, sign-up and me."""

from __future__ import annotations

import pytest

from marketplace.models import ApiKey, Assignment, Task, Worker, WorkteamMembership
from marketplace.services.workteams import public_workforce
from tests.marketplace.tenancy_and_auth.helpers import create_team, invite
from tests.support.factories import client_with
from tests.support.worker_api import NEXT_URL, claim, submit


@pytest.mark.parametrize(
    "header",
    [None, "Bearer gwr_garbage", "Bearer gww_garbage", "Bearer nonsense", "Basic abc", "Bearer", "Token gwr_x"],
)
@pytest.mark.parametrize(("method", "path"), [("get", "/api/v1/tasks"), ("post", "/api/v1/worker/tasks/next")])
def test_missing_or_garbage_credentials_are_a_401(db, header, method, path):
    # given
    client = client_with()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    # when
    response = getattr(client, method)(path)
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="groundwork"'


def test_a_revoked_api_key_is_a_401(requester, requester_client):
    # given
    created = requester_client.post("/api/v1/api-keys", {"name": "ci"}, format="json").json()
    second = client_with(created["key"])
    assert second.get("/api/v1/tasks").status_code == 200
    # when
    revoked = requester_client.post(f"/api/v1/api-keys/{created['id']}/revoke")
    # then
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = second.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert requester_client.get("/api/v1/tasks").status_code == 200  # the other key still works


def test_a_rotated_worker_token_stops_working(make_worker):
    # given
    worker = make_worker()
    # when
    rotated = worker.client.post("/api/v1/worker/token/rotate")
    # then
    assert rotated.status_code == 200
    assert rotated.json()["worker_id"] == worker.pk
    new_token = rotated.json()["token"]
    assert new_token != worker.token
    assert new_token.startswith("gww_")
    old = worker.client.get("/api/v1/worker/me")
    assert old.status_code == 401
    assert old.json()["error"]["code"] == "unauthenticated"
    assert client_with(new_token).get("/api/v1/worker/me").json()["worker_id"] == worker.pk


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/tasks"),
        ("get", "/api/v1/batches"),
        ("post", "/api/v1/assignments/1/approve"),
        ("get", "/api/v1/workteams"),
        ("get", "/api/v1/api-keys"),
        ("post", "/api/v1/api-keys"),
    ],
)
def test_a_worker_calling_requester_endpoints_is_a_403(make_worker, method, path):
    # given
    worker = make_worker()
    # when
    response = getattr(worker.client, method)(path, {}, format="json")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Task.objects.count() == 0
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/worker/tasks/next"),
        ("get", "/api/v1/worker/me"),
        ("post", "/api/v1/worker/token/rotate"),
        ("post", "/api/v1/worker/assignments/1/submit"),
        ("post", "/api/v1/worker/assignments/1/return"),
        ("get", "/api/v1/worker/invitations"),
        ("get", "/api/v1/worker/assignments"),
    ],
)
def test_a_requester_calling_worker_endpoints_is_a_403(requester, requester_client, make_tasks, method, path):
    # given
    make_tasks(requester.organization, 1)
    # when
    response = getattr(requester_client, method)(path, {}, format="json")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Assignment.objects.count() == 0


def test_api_key_create_shows_the_key_once(requester, requester_client):
    # when
    created = requester_client.post("/api/v1/api-keys", {"name": "ci"}, format="json")
    listed = requester_client.get("/api/v1/api-keys")
    # then
    assert created.status_code == 201
    data = created.json()
    assert data["name"] == "ci"
    assert data["key"].startswith("gwr_")
    assert data["prefix"] == data["key"][:12]
    assert data["revoked_at"] is None
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert [k["name"] for k in results] == ["default", "ci"]
    assert all("key" not in k for k in results)
    assert data["key"] not in str(listed.json())
    stored = ApiKey.objects.get(pk=data["id"])
    assert data["key"] not in (stored.key_hash, stored.prefix)
    assert client_with(data["key"]).get("/api/v1/tasks").status_code == 200


def test_api_key_create_without_a_body(requester_client):
    # when
    response = requester_client.post("/api/v1/api-keys")
    # then
    assert response.status_code == 201
    assert response.json()["name"] == ""


def test_api_key_with_a_bad_name_is_a_400(requester_client):
    # given
    before = ApiKey.objects.count()
    # when
    not_a_string = requester_client.post("/api/v1/api-keys", {"name": 5}, format="json")
    too_long = requester_client.post("/api/v1/api-keys", {"name": "x" * 101}, format="json")
    # then
    assert not_a_string.status_code == too_long.status_code == 400
    assert list(not_a_string.json()["error"]["fields"]) == list(too_long.json()["error"]["fields"]) == ["name"]
    assert ApiKey.objects.count() == before


def test_signup_creates_a_worker_in_the_public_workforce(db, requester, make_tasks):
    # given
    make_tasks(requester.organization, 1)
    # when
    response = client_with().post("/api/v1/worker/signup", {"username": "new.worker"}, format="json")
    # then
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"worker_id", "token"}
    worker = Worker.objects.get(pk=data["worker_id"])
    assert worker.username == "new.worker"
    assert data["token"].startswith("gww_")
    assert worker.token_hash != data["token"]
    assert WorkteamMembership.objects.filter(worker=worker, workteam=public_workforce()).exists()
    assert client_with(data["token"]).post(NEXT_URL).status_code == 200


@pytest.mark.parametrize("username", ["taken", "ab", "has space", "", None])
def test_signup_with_a_taken_or_bad_username_is_a_400(make_worker, username):
    # given
    make_worker("taken")
    # when
    response = client_with().post("/api/v1/worker/signup", {"username": username}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["username"]
    assert Worker.objects.count() == 1


def test_me_shows_workteams_live_assignments_reputation_and_earnings(
    requester, requester_client, make_tasks, make_worker
):
    # given
    team = create_team(requester_client, "reviewers")
    worker = make_worker()
    invitation_id = invite(requester_client, team["id"], worker.pk).json()["id"]
    worker.client.post(f"/api/v1/worker/invitations/{invitation_id}/accept")
    make_tasks(requester.organization, 3)
    submitted = claim(worker).json()["assignment_id"]
    submit(worker, submitted, {"x": 1})
    live = claim(worker).json()
    # when
    response = worker.client.get("/api/v1/worker/me")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["worker_id"] == worker.pk
    assert data["username"] == worker.username
    assert data["earnings"] == "0.00"
    assert data["paid_out"] == "0.00"
    assert sorted((w["id"], w["kind"]) for w in data["workteams"]) == sorted(
        [(public_workforce().pk, "public"), (team["id"], "private")]
    )
    assert data["reputation"]["assignments"] == {
        "accepted": 1,
        "submitted": 1,
        "approved": 0,
        "rejected": 0,
        "returned": 0,
        "expired": 0,
    }
    assert [a["assignment_id"] for a in data["live_assignments"]] == [live["assignment_id"]]
    assert data["live_assignments"][0] == live
