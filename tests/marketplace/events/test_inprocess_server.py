"""The embedded default's background mode: a uvicorn server with no Redis and no Celery
delivers webhooks from its own background thread, and one killed right after its commits
delivers them once it is started again."""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest
from django.db import connection

from .conftest import make_endpoint
from .receiver import Reply
from .test_crash_recovery import _kill, _uvicorn

pytestmark = pytest.mark.django_db(transaction=True)


def _inprocess_environment(tmp_path) -> dict[str, str]:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = db["NAME"]
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        LOG_LEVEL="WARNING",
        BACKGROUND_MODE="inprocess",
        SWEEP_INTERVAL_SECONDS="1",
        GROUNDWORK_DATA_DIR=str(tmp_path),
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        WEBHOOK_TIMEOUT_SECONDS="2",
    )
    return env


def _submit_all(base: str, workers) -> None:
    for worker in workers:
        headers = {"Authorization": f"Bearer {worker.token}"}
        claimed = httpx.post(f"{base}/api/v1/worker/tasks/next", headers=headers, timeout=10)
        assert claimed.status_code == 200, claimed.text
        submitted = httpx.post(
            f"{base}/api/v1/worker/assignments/{claimed.json()['assignment_id']}/submit",
            json={"answer": {"label": "cat"}},
            headers=headers,
            timeout=10,
        )
        assert submitted.status_code == 200, submitted.text


def _ids(receiver) -> set[str]:
    return {json.loads(request.body)["id"] for request in receiver.at("/hook")}


def _wait_for_ids(receiver, count: int, seconds: float) -> set[str]:
    end = time.monotonic() + seconds
    while len(_ids(receiver)) < count and time.monotonic() < end:
        time.sleep(0.1)
    return _ids(receiver)


def test_an_inprocess_server_delivers_and_a_killed_one_catches_up(
    requester, make_worker, make_tasks, receiver, tmp_path
):
    # given
    receiver.default = Reply(200, delay_seconds=0.2)
    make_endpoint(requester.organization, receiver.url(), events=["assignment.submitted"])
    make_tasks(requester.organization, 8, slots=1)
    workers = [make_worker() for _ in range(8)]
    env = _inprocess_environment(tmp_path)

    # when: four answers through a running server
    server, base = _uvicorn(env)
    try:
        _submit_all(base, workers[:4])
        delivered = _wait_for_ids(receiver, 4, 20)
        # and four more (a slower receiver now), the server killed as soon as they are committed
        receiver.default = Reply(200, delay_seconds=1)
        _submit_all(base, workers[4:])
    finally:
        _kill(server)
    before_restart = len(_ids(receiver))

    # then: the first four came from the server's own thread
    assert len(delivered) == 4

    # when: it starts again
    server, base = _uvicorn(env)
    try:
        after = _wait_for_ids(receiver, 8, 30)
    finally:
        _kill(server)

    # then: nothing was lost
    assert before_restart < 8
    assert len(after) == 8
