"""Public contracts: the error shape on every kind of failure, Idempotency-Key, rate limits,
probes, the OpenAPI document and the operator commands."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from marketplace.models import ApiKey, Assignment, Batch, Organization, Task, Worker, Workteam, WorkteamMembership
from marketplace.services.workteams import public_workforce
from tests.support.factories import client_with

TASK = {"title": "Is this a cat?", "reward": "0.05"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


# --- error shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/tasks/", "/api/v1/tasks/abc", "/nope", "/api/v1/worker/tasks/next/", "/api/v1"]
)
def test_unknown_urls_are_the_json_404(requester_client, path):
    # when
    got = requester_client.get(path)
    posted = requester_client.post(path, TASK, format="json")
    anonymous = APIClient().get(path)
    # then
    for response in (got, posted, anonymous):
        assert assert_error(response, 404, "not_found")["fields"] == {}
    assert Task.objects.count() == 0


def test_a_post_to_an_unknown_url_is_the_json_404_even_with_csrf_checks(requester):
    # given: a real API client sends no cookies and no CSRF token
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {requester.api_key}")
    # when
    response = client.post("/api/v1/tasks/", TASK, format="json")
    # then
    assert_error(response, 404, "not_found")
    assert Task.objects.count() == 0


def test_api_posts_need_no_csrf_token(requester):
    # given
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {requester.api_key}")
    # when
    response = client.post("/api/v1/tasks", TASK, format="json")
    # then
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/tasks"),
        ("delete", "/api/v1/tasks"),
        ("get", "/api/v1/tasks/1/stop"),
        ("patch", "/api/v1/batches"),
        ("get", "/api/v1/worker/tasks/next"),
    ],
)
def test_a_wrong_method_is_a_405(requester_client, make_worker, method, path):
    # given
    client = make_worker().client if "/worker/" in path else requester_client
    # when
    response = getattr(client, method)(path, {}, format="json")
    # then
    assert_error(response, 405, "method_not_allowed")
    assert Task.objects.count() == 0


def test_a_non_json_body_is_a_415(requester_client):
    # when
    response = requester_client.post("/api/v1/tasks", "title=cat&reward=0.05", content_type="text/plain")
    # then
    assert_error(response, 415, "unsupported_media_type")
    assert (Task.objects.count(), Batch.objects.count()) == (0, 0)


@pytest.mark.parametrize("body", ['{"title": "cat",', "{'title': 'cat'}", "NaN-ish"])
def test_malformed_json_is_a_400(requester_client, body):
    # when
    response = requester_client.post("/api/v1/tasks", body, content_type="application/json")
    # then
    error = assert_error(response, 400, "invalid")
    assert error["message"].startswith("the body is not valid JSON")
    assert Task.objects.count() == 0


def test_malformed_json_to_a_worker_endpoint_is_a_400(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    # when
    response = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", '{"answer": ', content_type="application/json"
    )
    # then
    assert_error(response, 400, "invalid")
    assert Assignment.objects.get().status == "accepted"


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_a_413(requester_client):
    # given
    small = {**TASK, "input": {"text": "x" * 100}}
    large = {**TASK, "input": {"text": "x" * 1000}}
    # when
    refused = requester_client.post("/api/v1/tasks", large, format="json")
    accepted = requester_client.post("/api/v1/tasks", small, format="json")
    # then
    error = assert_error(refused, 413, "too_large")
    assert error["message"] == "the request body is larger than 1000 bytes"
    assert accepted.status_code == 201
    assert Task.objects.count() == 1


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_a_413_for_workers_too(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    # when
    response = worker.client.post(
        f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {"text": "x" * 2000}}, format="json"
    )
    # then
    assert_error(response, 413, "too_large")
    assert Assignment.objects.get().status == "accepted"


def test_asking_for_another_format_is_a_406(requester_client):
    # when
    response = requester_client.get("/api/v1/tasks", HTTP_ACCEPT="text/html")
    # then
    assert_error(response, 406, "not_acceptable")


def test_validation_errors_use_dotted_paths(requester_client):
    # when
    response = requester_client.post("/api/v1/tasks", [TASK, TASK, TASK, {**TASK, "slots": 99}], format="json")
    # then
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"3.slots": ["must be between 1 and 50"]}


# --- Idempotency-Key --------------------------------------------------------------------------


def test_the_same_key_and_body_replay_the_first_response(requester_client):
    # given
    first = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    # when
    second = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    # then
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert (Task.objects.count(), Batch.objects.count()) == (1, 1)


def test_a_list_post_is_replayed_as_the_same_list(requester_client):
    # given
    body = [{**TASK, "title": f"t{i}"} for i in range(3)]
    first = requester_client.post("/api/v1/tasks", body, format="json", HTTP_IDEMPOTENCY_KEY="list")
    # when
    second = requester_client.post("/api/v1/tasks", body, format="json", HTTP_IDEMPOTENCY_KEY="list")
    # then
    assert second.status_code == 201
    assert second.json() == first.json()
    assert [t["title"] for t in second.json()] == ["t0", "t1", "t2"]
    assert Task.objects.count() == 3


def test_a_4xx_is_replayed_too(requester_client):
    # given
    bad = {**TASK, "slots": 0}
    first = requester_client.post("/api/v1/tasks", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    # when
    second = requester_client.post("/api/v1/tasks", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    # then
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert Task.objects.count() == 0


def test_a_409_is_replayed_even_after_the_state_changed(requester, requester_client, make_tasks, make_worker):
    # given: approving an accepted assignment is a 409; then the worker submits
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    url = f"/api/v1/assignments/{assignment_id}/approve"
    first = requester_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": {}}, format="json")
    # when
    replayed = requester_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    fresh = requester_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="approve-2")
    # then
    assert first.status_code == replayed.status_code == 409
    assert replayed.json() == first.json()
    assert replayed.json()["error"]["code"] == "not_submitted"
    assert fresh.status_code == 200
    assert Assignment.objects.get().status == "approved"


def test_the_same_key_with_another_body_is_a_422(requester_client):
    # given
    first = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    # when
    response = requester_client.post(
        "/api/v1/tasks", {**TASK, "title": "another"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    # then
    assert first.status_code == 201
    assert_error(response, 422, "idempotency_key_reused")
    assert list(Task.objects.values_list("title", flat=True)) == ["Is this a cat?"]


def test_the_same_key_on_another_path_is_independent(requester_client):
    # given
    first = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    second = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="other")
    # when
    team = requester_client.post("/api/v1/workteams", {"name": "t"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    stop_a = requester_client.post(f"/api/v1/tasks/{first.json()['id']}/stop", HTTP_IDEMPOTENCY_KEY="stop")
    stop_b = requester_client.post(f"/api/v1/tasks/{second.json()['id']}/stop", HTTP_IDEMPOTENCY_KEY="stop")
    # then
    assert team.status_code == 201
    assert stop_a.status_code == stop_b.status_code == 200
    assert stop_b.json()["id"] == second.json()["id"]
    assert "Idempotent-Replayed" not in stop_b
    assert sorted(Task.objects.values_list("status", flat=True)) == ["stopped", "stopped"]


def test_a_key_is_scoped_to_its_caller(make_requester):
    # given
    a, b = make_requester(), make_requester()
    # when
    first = client_with(a.api_key).post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="same")
    second = client_with(b.api_key).post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="same")
    # then
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert sorted(Task.objects.values_list("requester_id", flat=True)) == sorted([a.organization.pk, b.organization.pk])


def test_a_key_is_shared_by_the_api_keys_of_one_requester(requester, requester_client):
    # given
    other_key = requester_client.post("/api/v1/api-keys", {"name": "second"}, format="json").json()["key"]
    first = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="org-wide")
    # when
    second = client_with(other_key).post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="org-wide")
    # then
    assert second.status_code == 201
    assert second.json() == first.json()
    assert Task.objects.count() == 1


def test_a_replayed_claim_gives_the_same_assignment(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 3)
    worker = make_worker()
    first = worker.client.post("/api/v1/worker/tasks/next", HTTP_IDEMPOTENCY_KEY="claim-1")
    # when
    second = worker.client.post("/api/v1/worker/tasks/next", HTTP_IDEMPOTENCY_KEY="claim-1")
    # then
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_bad_idempotency_key_is_a_400(requester_client, key):
    # when
    response = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY=key)
    # then
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert Task.objects.count() == 0


# --- rate limits ------------------------------------------------------------------------------


def tight_limits(**changes):
    """Settings with a tiny bucket in a namespace of its own (buckets outlive a test)."""
    return override_settings(
        GROUNDWORK={**settings.GROUNDWORK, **changes}, RATE_LIMIT_NAMESPACE=f"gwtest-{uuid.uuid4().hex}"
    )


def test_worker_actions_over_the_burst_are_a_429(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 5)
    worker = make_worker()
    with tight_limits(WORKER_RATE_BURST=2, WORKER_RATE_PER_SECOND=0.01):
        allowed = [worker.client.post("/api/v1/worker/tasks/next").status_code for _ in range(2)]
        # when
        response = worker.client.post("/api/v1/worker/tasks/next")
        reads = worker.client.get("/api/v1/worker/me")
    # then
    assert allowed == [200, 200]
    assert_error(response, 429, "rate_limited")
    assert 99 <= int(response["Retry-After"]) <= 100
    assert reads.status_code == 200  # reading is not an action
    assert Assignment.objects.count() == 2


def test_requester_writes_over_the_burst_are_a_429(requester_client):
    # given
    with tight_limits(API_KEY_WRITE_RATE_BURST=1, API_KEY_WRITE_RATE_PER_SECOND=0.5):
        allowed = requester_client.post("/api/v1/tasks", TASK, format="json")
        # when
        refused = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="limited")
        read = requester_client.get("/api/v1/tasks")
    # then
    assert allowed.status_code == 201
    assert_error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) == 2
    assert read.status_code == 200
    assert Task.objects.count() == 1
    # a 429 is not stored: the key works once the limit allows
    retried = requester_client.post("/api/v1/tasks", TASK, format="json", HTTP_IDEMPOTENCY_KEY="limited")
    assert retried.status_code == 201
    assert Task.objects.count() == 2


def test_anonymous_sign_ups_over_the_burst_are_a_429(db):
    # given
    client = APIClient()
    with tight_limits(ANONYMOUS_RATE_BURST=1, ANONYMOUS_RATE_PER_SECOND=0.01):
        allowed = client.post("/api/v1/worker/signup", {"username": "first"}, format="json")
        # when
        refused = client.post("/api/v1/worker/signup", {"username": "second"}, format="json")
    # then
    assert allowed.status_code == 201
    assert_error(refused, 429, "rate_limited")
    assert 99 <= int(refused["Retry-After"]) <= 100
    assert list(Worker.objects.values_list("username", flat=True)) == ["first"]


def test_a_worker_limit_is_per_worker(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 2, slots=2)
    first, second = make_worker(), make_worker()
    with tight_limits(WORKER_RATE_BURST=1, WORKER_RATE_PER_SECOND=0.01):
        first.client.post("/api/v1/worker/tasks/next")
        # when
        limited = first.client.post("/api/v1/worker/tasks/next")
        other = second.client.post("/api/v1/worker/tasks/next")
    # then
    assert limited.status_code == 429
    assert other.status_code == 200


# --- probes and the OpenAPI document ---------------------------------------------------------


def test_healthz_and_readyz(db):
    # when
    health = APIClient().get("/healthz")
    ready = APIClient().get("/readyz")
    # then
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    assert ready.json()["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert ready.json()["checks"]["redis"] == "ok"


def test_the_openapi_document_is_served(db):
    # when
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    # then
    assert response.status_code == 200
    document = json.loads(response.content)
    assert "/api/v1/tasks" in document["paths"]
    assert "/api/v1/worker/tasks/next" in document["paths"]
    assert "/api/v1/worker/assignments/{assignment_id}/submit" in document["paths"]


# --- operator commands ------------------------------------------------------------------------


def run_command(*args) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    text = out.getvalue()
    assert text.endswith("\n")
    assert text.count("\n") == 1
    return json.loads(text)


def test_create_requester_prints_its_credentials(db):
    # when
    printed = run_command("create_requester", "Acme Labs")
    # then
    assert set(printed) == {
        "organization_id",
        "api_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "admin_username",
        "admin_password",
    }
    organization = Organization.objects.get(pk=printed["organization_id"])
    assert (organization.name, organization.kind) == ("Acme Labs", "requester")
    assert printed["api_key"].startswith("gwr_")
    assert ApiKey.objects.get(organization=organization).aws_access_key_id == printed["aws_access_key_id"]
    assert (len(printed["aws_access_key_id"]), len(printed["aws_secret_access_key"])) == (20, 40)
    assert client_with(printed["api_key"]).get("/api/v1/tasks").status_code == 200
    assert ApiKey.objects.filter(organization=organization).count() == 1
    assert printed["admin_username"]
    assert printed["admin_password"]


def test_create_vendor_prints_its_admin(db):
    # when
    printed = run_command("create_vendor", "Label Co")
    # then
    assert set(printed) == {"organization_id", "admin_username", "admin_password"}
    organization = Organization.objects.get(pk=printed["organization_id"])
    assert (organization.name, organization.kind) == ("Label Co", "vendor")
    assert ApiKey.objects.count() == 0


def test_create_worker_joins_the_public_workforce(db):
    # when
    printed = run_command("create_worker", "alice")
    # then
    assert set(printed) == {"worker_id", "token"}
    worker = Worker.objects.get(pk=printed["worker_id"])
    assert worker.username == "alice"
    assert list(worker.memberships.values_list("workteam_id", flat=True)) == [public_workforce().pk]
    assert client_with(printed["token"]).get("/api/v1/worker/me").json()["worker_id"] == worker.pk


def test_create_worker_with_workteams_and_no_public(requester):
    # given
    teams = [
        Workteam.objects.create(name=f"team {i}", kind=Workteam.Kind.PRIVATE, owner=requester.organization)
        for i in range(2)
    ]
    # when
    printed = run_command(
        "create_worker", "bob", "--workteam", str(teams[0].pk), "--workteam", str(teams[1].pk), "--no-public"
    )
    # then
    assert set(printed) == {"worker_id", "token"}
    joined = WorkteamMembership.objects.filter(worker_id=printed["worker_id"]).values_list("workteam_id", flat=True)
    assert sorted(joined) == [teams[0].pk, teams[1].pk]


def test_create_worker_with_a_missing_workteam_creates_nothing(db):
    # when
    with pytest.raises(CommandError, match="no such workteam: 987654"):
        call_command("create_worker", "carol", "--workteam", "987654", stdout=io.StringIO())
    # then
    assert Worker.objects.count() == 0


def test_create_worker_with_a_taken_username_fails(make_worker):
    # given
    make_worker("dave")
    # when
    with pytest.raises(CommandError, match="already taken"):
        call_command("create_worker", "dave", stdout=io.StringIO())
    # then
    assert Worker.objects.count() == 1


def test_join_workteam_adds_the_worker(requester, make_worker):
    # given
    team = Workteam.objects.create(name="team", kind=Workteam.Kind.PRIVATE, owner=requester.organization)
    worker = make_worker(join_public=False)
    # when
    printed = run_command("join_workteam", str(worker.pk), str(team.pk))
    again = run_command("join_workteam", str(worker.pk), str(team.pk))
    # then
    assert printed == again == {"worker_id": worker.pk, "workteam_id": team.pk}
    assert list(WorkteamMembership.objects.filter(worker=worker).values_list("workteam_id", flat=True)) == [team.pk]


def test_join_workteam_with_a_missing_workteam_fails(make_worker):
    # given
    worker = make_worker(join_public=False)
    # when
    with pytest.raises(CommandError, match="no such workteam"):
        call_command("join_workteam", str(worker.pk), "987654", stdout=io.StringIO())
    # then
    assert WorkteamMembership.objects.filter(worker=worker).count() == 0


@pytest.mark.parametrize(
    ("path", "secret", "other_secrets"),
    [
        ("/api/v1/api-keys", "key", ("aws_secret_access_key",)),
        ("/api/v1/worker/token/rotate", "token", ()),
        ("/api/v1/worker/ws-ticket", "ticket", ()),
    ],
)
def test_a_replay_never_shows_a_secret_again(requester_client, make_worker, path, secret, other_secrets):
    # given
    client = requester_client if path.startswith("/api/v1/api-keys") else make_worker().client
    first = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="once")
    if secret == "token":  # the old token stopped working; the retry comes with the new one
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {first.json()['token']}")

    # when
    replay = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="once")

    # then
    assert first.json()[secret]
    assert all(first.json()[other] for other in other_secrets)
    assert replay.status_code == first.status_code
    assert replay.json() == {**first.json(), secret: None, **dict.fromkeys(other_secrets)}
    assert replay["Idempotent-Replayed"] == "true"


def test_an_id_too_long_for_the_database_is_the_json_404(requester_client):
    response = requester_client.delete("/api/v1/workteams/1/members/100000000000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
