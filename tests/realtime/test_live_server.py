"""Real sockets against a running ASGI server (uvicorn, two processes) on PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from websockets.sync.client import connect

from marketplace.models import Assignment
from tests.conftest import needs_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def live_server_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "BACKGROUND_MODE": "inprocess",
        "SWEEP_INTERVAL_SECONDS": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)


def receive(ws, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def test_workers_are_pushed_work_over_real_sockets(live_server_url, make_requester, make_worker):
    # given: a requester with no work yet, two workers connected (header and ticket)
    requester = make_requester()
    first, second = make_worker(), make_worker()
    api = httpx.Client(base_url=f"http://{live_server_url}", headers={"Authorization": f"Bearer {requester.api_key}"})
    ticket = httpx.post(
        f"http://{live_server_url}/api/v1/worker/ws-ticket", headers={"Authorization": f"Bearer {second.token}"}
    ).json()["ticket"]
    sockets = contextlib.ExitStack()
    a = sockets.enter_context(
        connect(f"ws://{live_server_url}/ws/worker/", additional_headers={"Authorization": f"Bearer {first.token}"})
    )
    b = sockets.enter_context(connect(f"ws://{live_server_url}/ws/worker/?ticket={ticket}"))
    a.send(json.dumps({"type": "ready", "ref": "a1"}))
    b.send(json.dumps({"type": "ready", "ref": "b1"}))
    assert receive(a) == {"type": "idle", "ref": "a1"}
    assert receive(b) == {"type": "idle", "ref": "b1"}

    # when: a task with two slots is posted over REST
    posted = api.post(
        "/api/v1/tasks",
        json={"title": "live", "reward": "0.02", "slots": 2, "assignment_duration_seconds": 60, "input": {"n": 1}},
    )
    task_a, task_b = receive(a), receive(b)

    # then: each socket is pushed one slot of it, with its own ready's ref
    assert posted.status_code == 201
    assert (task_a["type"], task_a["task_id"], task_a["ref"]) == ("task", posted.json()["id"], "a1")
    assert (task_b["type"], task_b["task_id"], task_b["ref"]) == ("task", posted.json()["id"], "b1")

    # when: the first submits; the second vanishes and comes back
    a.send(json.dumps({"type": "submit", "assignment_id": task_a["assignment_id"], "answer": {"ok": 1}, "ref": 2}))
    ack = receive(a)
    b.close()
    b = sockets.enter_context(
        connect(f"ws://{live_server_url}/ws/worker/", additional_headers={"Authorization": f"Bearer {second.token}"})
    )
    resent = receive(b)

    # then
    assert ack == {"type": "ack", "assignment_id": task_a["assignment_id"], "ref": 2}
    assert (resent["type"], resent["assignment_id"]) == ("task", task_b["assignment_id"])
    assert Assignment.objects.get(pk=task_b["assignment_id"]).status == "accepted"  # closing cancelled nothing

    # when: the second's deadline passes; the server's own sweep expires it and says so
    Assignment.objects.filter(pk=task_b["assignment_id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    expired = receive(b, timeout=15)

    # then
    assert expired == {"type": "expired", "assignment_id": task_b["assignment_id"]}
    assert Assignment.objects.get(pk=task_b["assignment_id"]).status == "expired"
    sockets.close()
