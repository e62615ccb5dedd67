"""Nothing lost: answers submitted through a real ASGI server (uvicorn) whose process is killed
right after the commits, before any Celery worker ran, their nudges thrown away with the
Redis queue, and a Celery worker (with beat) killed while it sends and started again: every
event still reaches the receiver (at least once; ids deduplicate)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from django.db import connection

from marketplace.models import Delivery
from tests.conftest import needs_postgres

from .conftest import make_endpoint
from .receiver import Reply

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]


def _environment(tmp_path: Path, queue: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "BACKGROUND_MODE": "celery",
        "CELERY_QUEUE": queue,
        "SWEEP_INTERVAL_SECONDS": "1",
        "GROUNDWORK_DATA_DIR": str(tmp_path),
        "WEBHOOK_ALLOW_HTTP": "1",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        # a killed sender's lease runs out after 2 × timeout + 10 s
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        # two requests at a time to a slow receiver: the kill below lands mid-way
        "WEBHOOK_ENDPOINT_CONCURRENCY": "2",
    }


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of its own, so a kill takes the process and every child it forked.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _uvicorn(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _start(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--log-level", "warning"],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    _kill(server)
    raise RuntimeError("uvicorn did not start")


def _celery(env: dict[str, str], queue: str, tmp_path: Path) -> subprocess.Popen:
    return _start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "-s",
            str(tmp_path / "beat-schedule"),
            "-Q",
            queue,
            "--concurrency",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        env,
    )


def _unique_ids(receiver) -> set[str]:
    return {json.loads(request.body)["id"] for request in receiver.at("/hook")}


def test_killed_server_lost_nudges_and_a_killed_worker_lose_no_event(
    requester, make_worker, make_tasks, receiver, tmp_path
):
    # given: an endpoint (a receiver taking 300 ms per event), 12 one-slot tasks, 12 workers
    receiver.default = Reply(200, delay_seconds=0.3)
    make_endpoint(requester.organization, receiver.url(), events=["assignment.submitted"])
    make_tasks(requester.organization, 12, slots=1)
    workers = [make_worker() for _ in range(12)]
    queue = f"webhooks-crash-{os.getpid()}-{time.monotonic_ns()}"
    env = _environment(tmp_path, queue)

    # when: every worker submits through uvicorn, and the server is killed at once; no Celery
    # worker ran meanwhile, and the nudges the commits sent are thrown away with the queue
    server, base = _uvicorn(env)
    try:
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
    finally:
        _kill(server)
    assert receiver.at("/hook") == []
    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)

    # when: a Celery worker with beat starts, and is killed once a few events arrived
    worker_process = _celery(env, queue, tmp_path)
    try:
        receiver.wait_for(3, timeout=60)
    finally:
        _kill(worker_process)
    arrived_before_the_kill = len(_unique_ids(receiver))

    # then (so far): the kill interrupted the sending
    assert 3 <= arrived_before_the_kill < 12, arrived_before_the_kill

    # when: it starts again
    worker_process = _celery(env, queue, tmp_path)
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end and (
            len(_unique_ids(receiver)) < 12 or Delivery.objects.filter(status="succeeded").count() < 12
        ):
            time.sleep(0.2)
    finally:
        _kill(worker_process)

    # then: every event arrived (a few perhaps twice), and the database agrees
    assert len(_unique_ids(receiver)) == 12
    assert Delivery.objects.filter(status="succeeded").count() == 12
