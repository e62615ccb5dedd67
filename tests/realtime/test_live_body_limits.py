"""Body and frame limits through a real uvicorn server (issue 13, defects 4 and 7).

The test client hands Django a body already read, so what matters here (a 413 before the body
is read, a chunked upload cut off at the limit, chunked bodies read at all, the websocket frame
limit) is only visible through a real server and real sockets. The server runs as production
does: ``uvicorn config.asgi:application --ws-max-size 10485760`` (README)."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from marketplace.models import Task, Worker
from tests.conftest import needs_postgres

ROOT = Path(__file__).resolve().parents[2]
LIMIT = settings.MAX_REQUEST_BODY_BYTES

pytestmark = [
    needs_postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def server():
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
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--ws-max-size",
            str(LIMIT),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


def still_serving(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    """Read one HTTP response (headers and a Content-Length body) from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers = {name.lower(): value for name, value in headers.items()}
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, json.loads(body)


def request_head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_declared_100_mb_body_is_a_413_before_any_of_it_is_sent(server):
    # given
    workers_before = Worker.objects.count()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        # when: only the headers go out, declaring 100 MB
        sock.sendall(request_head("/api/v1/worker/signup", f"Content-Length: {100 * 1024 * 1024}"))
        status, headers, body = read_response(sock)
        # then: refused at once, and the server hangs up instead of waiting for the body
        assert (status, body["error"]["code"]) == (413, "too_large")
        assert headers["connection"] == "close"
        sock.settimeout(10)
        assert sock.recv(1) == b""
    assert Worker.objects.count() == workers_before
    assert still_serving(server)


def test_a_300_mb_chunked_upload_is_cut_off_at_the_limit(server):
    # given: an unauthenticated chunked POST that would send 300 MB
    workers_before = Worker.objects.count()
    piece = b"x" * (1024 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", server), timeout=30) as sock:
        sock.sendall(request_head("/api/v1/worker/signup", "Transfer-Encoding: chunked"))
        # when: it keeps sending until the server answers (or hangs up)
        answered = False
        while sent < 300 * len(piece):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answered = True
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        # then: a 413 came after about the limit, far short of 300 MB
        if not answered:
            select.select([sock], [], [], 10)
        status, headers, body = read_response(sock)
    assert (status, body["error"]["code"]) == (413, "too_large")
    assert headers["connection"] == "close"
    assert sent < 100 * len(piece), f"{sent} bytes were taken before the refusal"
    assert Worker.objects.count() == workers_before
    assert still_serving(server)


def test_a_chunked_body_within_the_limit_is_read_whole(server, make_requester):
    # given: the defect as reported, a valid task sent chunked (httpx chunks a generator)
    requester = make_requester()
    body = json.dumps({"title": "sent in chunks", "reward": "0.01", "input": {"text": "y" * 200_000}}).encode()

    def pieces():
        for start in range(0, len(body), 7_000):
            yield body[start : start + 7_000]

    # when
    response = httpx.post(
        f"http://127.0.0.1:{server}/api/v1/tasks",
        content=pieces(),
        timeout=30,
        headers={"Authorization": f"Bearer {requester.api_key}", "Content-Type": "application/json"},
    )
    # then
    assert response.status_code == 201, response.text[:300]
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.title, len(task.input["text"])) == ("sent in chunks", 200_000)


def test_a_chunked_body_just_over_the_limit_is_a_413_and_just_under_is_read(server, make_requester):
    requester = make_requester()
    headers = {"Authorization": f"Bearer {requester.api_key}", "Content-Type": "application/json"}
    prefix = b'{"title": "big", "reward": "0.01", "input": {"text": "'
    suffix = b'"}}'

    def body_of(size: int):
        filler = size - len(prefix) - len(suffix)
        yield prefix
        for start in range(0, filler, 1024 * 1024):
            yield b"z" * min(1024 * 1024, filler - start)
        yield suffix

    over = httpx.post(
        f"http://127.0.0.1:{server}/api/v1/tasks", content=body_of(LIMIT + 1), headers=headers, timeout=60
    )
    assert (over.status_code, over.json()["error"]["code"]) == (413, "too_large")
    assert Task.objects.count() == 0
    under = httpx.post(
        f"http://127.0.0.1:{server}/api/v1/tasks", content=body_of(LIMIT - 1024), headers=headers, timeout=60
    )
    assert under.status_code == 201, under.text[:300]


def test_websocket_frames_over_the_limit_close_the_socket_and_bad_text_is_named(server, make_worker):
    worker = make_worker()
    url = f"ws://127.0.0.1:{server}/ws/worker/"
    auth = {"Authorization": f"Bearer {worker.token}"}
    # a frame over 10 MB: the server refuses it while reading and closes with 1009 (message too big)
    with connect(url, additional_headers=auth, max_size=None) as ws:
        ws.send(json.dumps({"type": "ping", "padding": "p" * LIMIT}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    # and the worker reconnects; a frame with a lone surrogate is an error naming the field
    with connect(url, additional_headers=auth) as ws:
        ws.send('{"type": "submit", "assignment_id": 1, "answer": {"label": "\\ud800"}, "ref": "s"}')
        refused = json.loads(ws.recv(timeout=10))
        ws.send('{"type": "ping", "ref": 1}')
        pong = json.loads(ws.recv(timeout=10))
    assert (refused["type"], refused["code"], list(refused["fields"])) == ("error", "invalid", ["answer.label"])
    assert pong == {"type": "pong", "ref": 1}
