"""The OpenAPI document is true to every response (issue 13, defect 6): every operation of
``/api/schema/`` is called through the real routes, on real objects (``tests.api_world``), for
its success and for its errors, and each response is checked against the document: its status
is documented for the operation, its media type is, and its body validates against the schema
(schemathesis's validator, which reads OpenAPI 3.0 as written). The walk fails when an
operation of the document was not reached, so a new endpoint must be walked too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import httpx
import pytest
import schemathesis
from django.test import override_settings
from rest_framework.test import APIClient

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.services.workers import worker_create
from tests.api_world import World, build_world
from tests.support.factories import client_with, post_tasks

UNKNOWN_ID = 987_654_321


class Contract:
    """Calls operations and checks each response against the document."""

    def __init__(self, world: World) -> None:
        self.world = world
        served = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        self.document = json.loads(served.content)
        self.schema = schemathesis.openapi.from_dict(self.document)
        self.seen: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
        self.clients = {
            "requester": client_with(world.requester.api_key),
            "worker": client_with(world.worker.token),
            "member": client_with(world.member.token),
            "anonymous": APIClient(),
        }

    def operations(self) -> list[tuple[str, str, dict]]:
        return [
            (method.upper(), path, operation)
            for path, item in self.document["paths"].items()
            for method, operation in item.items()
        ]

    def call(
        self,
        who: str,
        method: str,
        template: str,
        status: int | tuple[int, ...],
        body: object = None,
        *,
        query: dict | None = None,
        headers: dict | None = None,
        **ids: int,
    ):
        """Call ``method template`` (its ``{names}`` from ``ids``) as ``who``; assert the status
        and that the response is the document's. Returns the decoded body."""
        path = template.format(**ids)
        client = self.clients[who] if isinstance(who, str) else who
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
        if method == "GET":
            response = client.get(path, query or {}, **extra)
        elif body is None or isinstance(body, bytes):
            response = client.generic(method, path, body or b"", content_type="application/json", **extra)
        else:
            response = getattr(client, method.lower())(path, body, format="json", **extra)
        self.check(method, template, response)
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, (method, path, response.status_code, response.content[:300])
        return response.json() if response.get("Content-Type") == "application/json" else None

    def response_doc(self, response: dict) -> dict:
        """A documented response, read through its ``$ref`` (the shared error responses)."""
        if "$ref" in response:
            return self.document["components"]["responses"][response["$ref"].rpartition("/")[2]]
        return response

    def check(self, method: str, template: str, response) -> None:
        operation = self.document["paths"][template][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {template}: {status} is not documented"
        content = b"".join(response.streaming_content) if response.streaming else response.content
        documented = self.response_doc(operation["responses"][status]).get("content", {})
        if content:
            media_type = response["Content-Type"].split(";")[0]
            assert media_type in documented, f"{method} {template} {status}: {media_type} is not documented"
        else:
            assert not documented, f"{method} {template} {status}: the document promises a body"
        as_httpx = httpx.Response(
            response.status_code,
            headers=dict(response.headers),
            content=content,
            request=httpx.Request(method, f"http://testserver{template}"),
        )
        as_httpx.elapsed = timedelta(0)  # read in process: nothing was timed
        self.schema[template][method].validate_response(as_httpx)
        self.seen[(method, template)].add(response.status_code)


@pytest.fixture
def contract(db, storage_root) -> Contract:
    return Contract(build_world(storage_root))


def test_every_operation_answers_what_the_document_says(contract):
    c, r, w = contract, contract.world.requester_ids, contract.world.worker_ids
    world = contract.world
    # --- requester: reads
    for template in [
        "/api/v1/api-keys",
        "/api/v1/assignments",
        "/api/v1/balance",
        "/api/v1/batches",
        "/api/v1/events",
        "/api/v1/labeling-jobs",
        "/api/v1/qualification-types",
        "/api/v1/statement",
        "/api/v1/tasks",
        "/api/v1/vendor-offerings",
        "/api/v1/vendor-subscriptions",
        "/api/v1/webhook-endpoints",
        "/api/v1/worker-blocks",
        "/api/v1/workteams",
    ]:
        page = c.call("requester", "GET", template, 200, query={"limit": 1})
        if "results" in page:
            assert len(page["results"]) <= 1
    csv = c.call("requester", "GET", "/api/v1/statement", 200, query={"format": "csv"})
    assert csv is None
    c.call("requester", "GET", "/api/v1/assignments", 200, query={"status": "submitted", "flagged": "false"})
    c.call("requester", "GET", "/api/v1/tasks", 200, query={"batch_id": r["batch_id"], "status": "open"})
    for template in [
        "/api/v1/batches/{batch_id}",
        "/api/v1/tasks/{task_id}",
        "/api/v1/labeling-jobs/{job_id}",
        "/api/v1/qualification-types/{qualification_type_id}",
        "/api/v1/qualification-types/{qualification_type_id}/workers",
        "/api/v1/vendor-offerings/{offering_id}",
        "/api/v1/vendor-subscriptions/{subscription_id}",
        "/api/v1/workteams/{workteam_id}",
        "/api/v1/workteams/{workteam_id}/members",
        "/api/v1/workteams/{workteam_id}/invitations",
        "/api/v1/workers/{worker_id}/reputation",
        "/api/v1/webhook-endpoints/{endpoint_id}",
        "/api/v1/webhook-endpoints/{endpoint_id}/deliveries",
        "/api/v1/events/{event_id}",
    ]:
        c.call("requester", "GET", template, 200, **r)
    c.call("requester", "GET", "/api/v1/events", 200, query={"type": "task.completed", "since": "2026-01-01T00:00:00Z"})
    c.call("requester", "GET", "/api/v1/events", 400, query={"since": "today"})
    c.call(
        "requester", "GET", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries", 200, query={"status": "pending"}, **r
    )

    # --- requester: writes
    one = c.call("requester", "POST", "/api/v1/tasks", 201, {"title": "one more", "reward": "0.05"})
    assert isinstance(one, dict)
    many = c.call(
        "requester", "POST", "/api/v1/tasks", 201, [{"title": "a", "reward": "0.05"}, {"title": "b", "reward": "0.05"}]
    )
    assert isinstance(many, list) and len(many) == 2
    c.call("requester", "POST", "/api/v1/tasks/{task_id}/slots", 200, {"add": 1}, **r)
    c.call("requester", "POST", "/api/v1/tasks/{task_id}/close", 200, task_id=one["id"])
    c.call("requester", "POST", "/api/v1/tasks/{task_id}/stop", 200, task_id=many[0]["id"])
    c.call("requester", "POST", "/api/v1/tasks/{task_id}/stop", 409, task_id=one["id"])
    c.call("requester", "POST", "/api/v1/assignments/{assignment_id}/approve", 200, {"feedback": "good"}, **r)
    c.call("requester", "POST", "/api/v1/assignments/{assignment_id}/approve", 200, **r)
    c.call("requester", "POST", "/api/v1/assignments/{assignment_id}/reject", 409, {"feedback": "no"}, **r)
    c.call(
        "requester",
        "POST",
        "/api/v1/bonuses",
        201,
        {"worker_id": world.member.pk, "amount": "0.10", "reason": "again"},
        headers={"Idempotency-Key": "b2"},
    )
    c.call(
        "requester",
        "POST",
        "/api/v1/bonuses",
        422,
        {"worker_id": world.member.pk, "amount": "0.20", "reason": "again"},
        headers={"Idempotency-Key": "b2"},
    )
    c.call(
        "requester",
        "POST",
        "/api/v1/worker-messages",
        201,
        {"worker_ids": [world.member.pk], "subject": "Thanks", "message": "More work on Monday."},
    )
    c.call("requester", "POST", "/api/v1/worker-messages", 400, {"worker_ids": [], "subject": "s", "message": "m"})
    key = c.call("requester", "POST", "/api/v1/api-keys", 201, {"name": "third"}, headers={"Idempotency-Key": "k3"})
    replayed = c.call(
        "requester", "POST", "/api/v1/api-keys", 201, {"name": "third"}, headers={"Idempotency-Key": "k3"}
    )
    assert (replayed["id"], replayed["key"]) == (key["id"], None)  # a secret is shown once
    c.call("requester", "POST", "/api/v1/api-keys/{api_key_id}/revoke", 200, api_key_id=key["id"])
    team = c.call("requester", "POST", "/api/v1/workteams", 201, {"name": "another team"})
    newcomer, _ = worker_create(username="contract-newcomer")
    invited = c.call(
        "requester",
        "POST",
        "/api/v1/workteams/{workteam_id}/invitations",
        201,
        {"worker_id": newcomer.pk},
        workteam_id=team["id"],
    )
    c.call(
        "requester",
        "POST",
        "/api/v1/workteams/{workteam_id}/invitations/{invitation_id}/revoke",
        200,
        workteam_id=team["id"],
        invitation_id=invited["id"],
    )
    kind = c.call("requester", "POST", "/api/v1/qualification-types", 201, {"name": "Contract type"})
    c.call(
        "requester",
        "POST",
        "/api/v1/qualification-types/{qualification_type_id}/workers",
        201,
        {"worker_id": world.member.pk, "value": 5},
        qualification_type_id=kind["id"],
    )
    c.call(
        "requester",
        "POST",
        "/api/v1/qualification-types/{qualification_type_id}/workers",
        200,
        {"worker_id": world.member.pk, "value": 6},
        qualification_type_id=kind["id"],
    )
    c.call(
        "requester",
        "DELETE",
        "/api/v1/qualification-types/{qualification_type_id}/workers/{worker_id}",
        204,
        qualification_type_id=kind["id"],
        worker_id=world.member.pk,
    )
    c.call(
        "requester",
        "POST",
        "/api/v1/qualification-types/{qualification_type_id}/deactivate",
        200,
        qualification_type_id=kind["id"],
    )
    c.call("requester", "POST", "/api/v1/worker-blocks", 201, {"worker_id": newcomer.pk, "reason": "test"})
    c.call("requester", "POST", "/api/v1/worker-blocks", 200, {"worker_id": newcomer.pk, "reason": "again"})
    c.call("requester", "DELETE", "/api/v1/worker-blocks/{worker_id}", 204, worker_id=newcomer.pk)
    c.call("requester", "POST", "/api/v1/vendor-subscriptions", 200, {"offering_id": r["offering_id"]})
    c.call("requester", "POST", "/api/v1/vendor-subscriptions/{subscription_id}/cancel", 200, **r)
    job = c.call("requester", "GET", "/api/v1/labeling-jobs/{job_id}", 200, **r)
    c.call(
        "requester",
        "POST",
        "/api/v1/labeling-jobs",
        201,
        {
            key: job[key]
            for key in (
                "label_attribute_name",
                "task_type",
                "input_manifest_uri",
                "output_uri",
                "label_categories",
                "title",
                "workers_per_object",
                "reward",
            )
        }
        | {"name": "contract-job-2"},
    )
    streaming = c.call(
        "requester",
        "POST",
        "/api/v1/labeling-jobs",
        201,
        {key: job[key] for key in ("label_attribute_name", "task_type", "output_uri", "label_categories", "title")}
        | {"name": "contract-stream", "input_mode": "streaming", "max_concurrent_task_count": 2, "reward": "0.05"},
    )
    automated = c.call(
        "requester",
        "POST",
        "/api/v1/labeling-jobs",
        201,
        {key: job[key] for key in ("label_attribute_name", "task_type", "input_manifest_uri", "output_uri")}
        | {key: job[key] for key in ("label_categories", "title", "workers_per_object", "reward")}
        | {"name": "contract-automated", "automated_labeling": {"target_accuracy": 0.9}},
    )
    switch = "/api/v1/labeling-jobs/{job_id}/automated-labeling"
    c.call("requester", "POST", switch, 200, {"enabled": False}, job_id=automated["id"])
    c.call("requester", "POST", switch, 409, {"enabled": False}, **r)
    c.call("requester", "POST", switch, 400, {"enabled": "no"}, **r)
    run_labeling_sweeps()  # the job starts in_progress
    stream = {"job_id": streaming["id"]}
    line = {"source": "a sentence", "dataset_object_id": "s-1"}
    c.call("requester", "POST", "/api/v1/labeling-jobs/{job_id}/objects", 201, {"objects": [line]}, **stream)
    c.call("requester", "POST", "/api/v1/labeling-jobs/{job_id}/objects", 400, {"objects": [{"x": 1}]}, **stream)
    c.call("requester", "POST", "/api/v1/labeling-jobs/{job_id}/objects", 409, {"objects": [line]}, **r)
    c.call("requester", "POST", "/api/v1/labeling-jobs/{job_id}/stop", 200, **r)
    _walk_webhooks(c, r)

    # --- worker
    for template in [
        "/api/v1/worker/assignments",
        "/api/v1/worker/invitations",
        "/api/v1/worker/payouts",
        "/api/v1/worker/qualification-tests",
        "/api/v1/worker/statement",
        "/api/v1/worker/me",
        "/api/v1/worker/available-work",
        "/api/v1/worker/messages",
    ]:
        c.call("worker", "GET", template, 200)
    c.call("worker", "GET", "/api/v1/worker/assignments", 200, query={"status": "accepted"})
    c.call("worker", "GET", "/api/v1/worker/statement", 200, query={"format": "csv"})
    c.call("worker", "GET", "/api/v1/worker/qualification-tests/{qualification_type_id}", 200, **w)
    c.call(
        "worker",
        "POST",
        "/api/v1/worker/qualification-tests/{qualification_type_id}/answers",
        200,
        {"answers": [{"label": "cat"}, {"label": "cow"}]},
        **w,
    )
    c.call(
        "worker",
        "POST",
        "/api/v1/worker/qualification-tests/{qualification_type_id}/answers",
        409,
        {"answers": [{"label": "cat"}, {"label": "dog"}]},
        **w,
    )
    c.call("worker", "POST", "/api/v1/worker/assignments/{assignment_id}/submit", 200, {"answer": {"label": "x"}}, **w)
    c.call("worker", "POST", "/api/v1/worker/assignments/{assignment_id}/submit", 409, {"answer": {"label": "y"}}, **w)
    c.call(
        "worker",
        "POST",
        "/api/v1/worker/assignments/{assignment_id}/submit",
        400,
        {"answer": {"label": 3}},
        assignment_id=c.call("worker", "POST", "/api/v1/worker/tasks/next", 200)["assignment_id"],
    )
    offered = c.call("worker", "POST", "/api/v1/worker/tasks/next", 200)
    c.call(
        "worker",
        "POST",
        "/api/v1/worker/assignments/{assignment_id}/return",
        200,
        assignment_id=offered["assignment_id"],
    )
    loner, loner_token = worker_create(username="contract-loner", join_public=False)
    c.call(client_with(loner_token), "POST", "/api/v1/worker/tasks/next", 204)
    c.call("worker", "POST", "/api/v1/worker/invitations/{invitation_id}/accept", 200, **w)
    c.call("worker", "POST", "/api/v1/worker/payouts", 201, {"amount": "1.00"})
    c.call("worker", "POST", "/api/v1/worker/payouts", 402, {"amount": "1000.00"})
    c.call("worker", "POST", "/api/v1/worker/ws-ticket", 200, headers={"Idempotency-Key": "t1"})
    replayed = c.call("worker", "POST", "/api/v1/worker/ws-ticket", 200, headers={"Idempotency-Key": "t1"})
    assert replayed["ticket"] is None
    c.call("anonymous", "POST", "/api/v1/worker/signup", 201, {"username": "contract-signup"})
    c.call("anonymous", "POST", "/api/v1/worker/signup", 400, {"username": "contract-signup"})
    c.call("member", "POST", "/api/v1/worker/token/rotate", 200)
    c.call("requester", "DELETE", "/api/v1/workteams/{workteam_id}/members/{worker_id}", 204, **r)
    c.call("requester", "POST", "/api/v1/assignments/{assignment_id}/reject", 200, {"feedback": "no"}, **w)
    _walk_appeals(c, w)

    # --- errors, for every operation: no credentials, the wrong kind of caller, unknown ids, bad bodies
    for method, template, operation in c.operations():
        is_worker_op = template.startswith("/api/v1/worker/")
        own, other = ("worker", "requester") if is_worker_op else ("requester", "worker")
        if operation.get("security"):
            c.call("anonymous", method, template, 401, **{name: UNKNOWN_ID for name in _names(template)})
            c.call(other, method, template, 403, **{name: UNKNOWN_ID for name in _names(template)})
        if _names(template):  # a body the operation requires may be refused before the lookup
            has_body = operation.get("requestBody", {}).get("required", False)
            c.call(
                own,
                method,
                template,
                (400, 404) if has_body else 404,
                **{name: UNKNOWN_ID for name in _names(template)},
            )
        if method == "POST" and "requestBody" in operation:
            ids = {name: UNKNOWN_ID for name in _names(template)}
            response = c.clients[own if operation.get("security") else "anonymous"].generic(
                "POST", template.format(**ids), b'{"unclosed": ', content_type="application/json"
            )
            c.check(method, template, response)
            assert response.status_code in (400, 404), (template, response.status_code)
        if method == "GET" and "Paginated" in str(operation["responses"]["200"]):
            c.call(own, "GET", template, 400, query={"limit": 0}, **{name: r.get(name, 1) for name in _names(template)})

    # --- every operation of the document was reached, for a success and for its errors
    for method, template, operation in c.operations():
        statuses = c.seen[(method, template)]
        assert any(200 <= status < 300 for status in statuses), f"{method} {template}: no success walked"
        if operation.get("security"):
            assert {401, 403} <= statuses, f"{method} {template}: {sorted(statuses)}"


def _walk_webhooks(c: Contract, r: dict) -> None:
    """Webhook endpoints and events: each write, its success and a refusal."""
    hooks = "/api/v1/webhook-endpoints"
    with override_settings(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        made = c.call("requester", "POST", hooks, 201, {"url": "http://127.0.0.1:9/contract", "events": ["*"]})
        c.call("requester", "POST", hooks, 400, {"url": "http://10.0.0.1/", "events": ["*"]})
        c.call(
            "requester",
            "PATCH",
            hooks + "/{endpoint_id}",
            200,
            {"events": ["task.completed"], "description": "contract"},
            endpoint_id=made["id"],
        )
        c.call("requester", "PATCH", hooks + "/{endpoint_id}", 400, {"url": "ftp://x"}, endpoint_id=made["id"])
    rotated = c.call("requester", "POST", hooks + "/{endpoint_id}/rotate-secret", 200, {"overlap_seconds": 60}, **r)
    assert rotated["secret"].startswith("whsec_")
    c.call("requester", "POST", hooks + "/{endpoint_id}/rotate-secret", 400, {"overlap_seconds": -1}, **r)
    c.call("requester", "POST", hooks + "/{endpoint_id}/redeliver", 202, {"since": "2026-01-01T00:00:00Z"}, **r)
    c.call("requester", "POST", hooks + "/{endpoint_id}/redeliver", 400, {"since": "soon"}, **r)
    c.call("requester", "POST", "/api/v1/events/{event_id}/redeliver", 202, **r)
    c.call("requester", "POST", "/api/v1/events/{event_id}/redeliver", 202, {"endpoint_id": r["endpoint_id"]}, **r)
    c.call("requester", "PATCH", hooks + "/{endpoint_id}", 200, {"is_active": False}, endpoint_id=made["id"])
    c.call(
        "requester",
        "POST",
        "/api/v1/events/{event_id}/redeliver",
        409,
        {"endpoint_id": made["id"]},
        event_id=r["event_id"],
    )
    c.call("requester", "DELETE", hooks + "/{endpoint_id}", 204, endpoint_id=made["id"])


def _walk_appeals(c: Contract, w: dict) -> None:
    """Appeals: the worker's appeal of the assignment just rejected (declined), and another
    worker's (accepted); each operation's success and a refusal."""
    appeal = "/api/v1/worker/assignments/{assignment_id}/appeal"
    declined = c.call("worker", "POST", appeal, 201, {"message": "please look again"}, **w)
    c.call("worker", "POST", appeal, 409, {"message": "again"}, **w)
    c.call("worker", "POST", appeal, 400, {"message": ""}, **w)
    c.call("worker", "GET", "/api/v1/worker/appeals", 200, query={"status": "open"})
    requester_id = {"requester_id": c.world.requester.organization.pk}
    c.call("worker", "GET", "/api/v1/worker/requesters/{requester_id}", 200, **requester_id)
    c.call("requester", "GET", "/api/v1/appeals", 200, query={"status": "open", "limit": 1})
    c.call("requester", "GET", "/api/v1/appeals/{appeal_id}", 200, appeal_id=declined["id"])
    decline = "/api/v1/appeals/{appeal_id}/decline"
    c.call("requester", "POST", decline, 400, {"reply": ""}, appeal_id=declined["id"])
    c.call("requester", "POST", decline, 200, {"reply": "the label is wrong"}, appeal_id=declined["id"])
    c.call("requester", "POST", decline, 409, {"reply": "twice"}, appeal_id=declined["id"])
    appellant, token = worker_create(username="contract-appellant")
    post_tasks(c.world.requester.organization, 1, slots=1, priority=100)
    client = client_with(token)
    offered = c.call(client, "POST", "/api/v1/worker/tasks/next", 200)
    ids = {"assignment_id": offered["assignment_id"]}
    c.call(client, "POST", "/api/v1/worker/assignments/{assignment_id}/submit", 200, {"answer": {"label": "x"}}, **ids)
    c.call("requester", "POST", "/api/v1/assignments/{assignment_id}/reject", 200, {"feedback": "no"}, **ids)
    accepted = c.call(client, "POST", appeal, 201, {"message": "it is right"}, **ids)
    accept = "/api/v1/appeals/{appeal_id}/accept"
    c.call("requester", "POST", accept, 400, {"reply": 3}, appeal_id=accepted["id"])
    c.call("requester", "POST", accept, 200, {"reply": "sorry"}, appeal_id=accepted["id"])
    c.call("requester", "POST", accept, 409, appeal_id=accepted["id"])


def _names(template: str) -> list[str]:
    return [part[1:-1] for part in template.split("/") if part.startswith("{")]


def test_the_document_describes_every_list_as_a_page(contract):
    # every GET answered by a list is documented as {"results": [...], "next": url|null}
    pages = {
        template
        for method, template, operation in contract.operations()
        if method == "GET" and "Paginated" in str(operation["responses"]["200"])
    }
    assert len(pages) == 25
    for template in pages:
        page = contract.document["components"]["schemas"][
            contract.document["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
                "$ref"
            ].rsplit("/", 1)[1]
        ]
        assert page["required"] == ["results", "next"] and page["properties"]["results"]["type"] == "array"
        assert {p["name"] for p in contract.document["paths"][template]["get"]["parameters"]} >= {"limit", "cursor"}
