"""One request id through everything a request sets going (docs/operations.md "Logs"): the
request's own line, the Celery job it enqueued (a real worker on Redis, its log read back)
and a worker websocket's messages, each logged by a real process in JSON."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from websockets.sync.client import connect

from marketplace.services.assignments import assignment_submit
from marketplace.services.dispatch import assignment_claim
from marketplace.services.webhook_endpoints import webhook_endpoint_create
from tests.conftest import needs_postgres

from .live_server import Process, http, start_celery_worker, start_uvicorn
from .plain import free_port

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]
DELIVER_JOB = "marketplace.events.background_jobs.deliver_webhooks"
WEBHOOKS_TO_THIS_MACHINE = {"WEBHOOK_ALLOW_HTTP": "1", "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}


@pytest.fixture(scope="module")
def server_and_celery(tmp_path_factory, django_db_setup):
    tmp_path = tmp_path_factory.mktemp("request-ids")
    queue = f"ops-request-ids-{uuid.uuid4().hex[:8]}"
    common = {"CELERY_QUEUE": queue, "LOG_LEVEL": "DEBUG", **WEBHOOKS_TO_THIS_MACHINE}
    celery = start_celery_worker(tmp_path / "celery", queue=queue, **common)
    try:
        server = start_uvicorn(tmp_path / "server", workers=1, BACKGROUND_MODE="celery", **common)
    except BaseException:
        celery.stop()
        raise
    yield server, celery
    server.stop()
    celery.stop()


def wait_for_line(process: Process, matches, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in process.log_lines():
            if matches(line):
                return line
        time.sleep(0.3)
    raise AssertionError(f"no such line in {process.log_path}:\n{process.log_path.read_text()[-4000:]}")


def test_a_request_id_reaches_the_requests_line_and_the_celery_job_it_enqueued(
    server_and_celery, make_requester, make_worker, make_tasks, settings
):
    server, celery = server_and_celery
    # given a submitted answer, and an endpoint subscribed to every event (so approving it
    # enqueues the webhook sender's job)
    settings.WEBHOOK_ALLOW_HTTP, settings.WEBHOOK_ALLOWED_NETWORKS = True, ["127.0.0.0/8"]
    requester, worker = make_requester(), make_worker()
    webhook_endpoint_create(
        organization=requester.organization, url=f"http://127.0.0.1:{free_port()}/hook", events=["*"]
    )
    make_tasks(requester.organization, 1, slots=1)
    assignment = assignment_claim(worker=worker)
    assignment_submit(worker=worker, assignment_id=assignment.pk, answer={"label": "cat"})
    request_id = f"ops-test-{uuid.uuid4().hex[:12]}"

    # when the requester approves it, the request carrying an id
    status, headers, body = http(
        "POST",
        f"{server.base_url}/api/v1/assignments/{assignment.pk}/approve",
        headers={"Authorization": f"Bearer {requester.api_key}", "X-Request-ID": request_id},
    )

    # then the response says the id, the request's line has it
    assert status == 200, body
    assert headers["x-request-id"] == request_id
    line = wait_for_line(
        server, lambda line: line.get("logger") == "groundwork.request" and line.get("method") == "POST"
    )
    assert (line["request_id"], line["route"], line["method"]) == (
        request_id,
        "api/v1/assignments/<id:assignment_id>/approve",
        "POST",
    )
    # and the Celery worker ran the job the request enqueued under the same id, saying so
    job_line = wait_for_line(
        celery, lambda line: line.get("logger") == "groundwork.job" and line.get("job") == DELIVER_JOB
    )
    assert job_line["request_id"] == request_id
    assert job_line["state"] == "SUCCESS"
    assert job_line["lag_ms"] is not None and job_line["lag_ms"] >= 0
    # and every line the job wrote while it ran carries it (the sender's own, the SQL's at DEBUG)
    during_job = [
        line
        for line in celery.log_lines()
        if line.get("pid") == job_line["pid"] and line.get("request_id") == request_id
    ]
    assert len(during_job) > 1


def test_a_websocket_connection_has_an_id_and_each_message_its_own(server_and_celery, make_worker):
    server, _ = server_and_celery
    worker = make_worker()
    connection_id = f"ws-{uuid.uuid4().hex[:12]}"
    url = server.base_url.replace("http://", "ws://") + "/ws/worker/"

    # when a worker connects with an id, pings, then asks for work (there is none)
    with connect(
        url, additional_headers={"Authorization": f"Bearer {worker.token}", "X-Request-ID": connection_id}
    ) as socket:
        assert socket.response.headers["x-request-id"] == connection_id
        socket.send(json.dumps({"type": "ping", "ref": "first"}))
        assert json.loads(socket.recv(timeout=30))["type"] == "pong"
        socket.send(json.dumps({"type": "ready", "ref": "second"}))
        assert json.loads(socket.recv(timeout=30))["type"] == "idle"

    # then the connection's lines carry its id, each message's lines the message's own
    closed = wait_for_line(server, lambda line: str(line.get("message", "")).startswith("websocket closed"))
    assert (closed["request_id"], closed["messages"]) == (connection_id, 2)
    lines = [line for line in server.log_lines() if str(line.get("request_id", "")).startswith(connection_id)]
    by_id: dict[str, list[str]] = {}
    for line in lines:
        by_id.setdefault(line["request_id"], []).append(line["message"])
    assert any(message.startswith("websocket connected") for message in by_id[connection_id])
    for number in (1, 2):
        messages = by_id[f"{connection_id}.{number}"]
        assert messages[0].startswith("websocket message received"), messages
        assert "websocket message sent" in messages  # the pong, then the idle: sent while handling it
    # and the claim the ready made logged under the second message's id, not the first's
    claim_lines = [
        line
        for line in lines
        if line["request_id"] == f"{connection_id}.2" and line["logger"] != "groundwork.websocket"
    ]
    assert claim_lines, by_id
