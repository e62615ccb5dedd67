"""A real ``uvicorn --workers N`` (and a real Celery worker) on the test database, for the
operations tests: started as an operator would, logs captured to a file the test reads."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from django.db import connection

from .plain import PYTHON, REPO, free_port, plain_environment, wait_until_answering


def test_database_url() -> str:
    settings_dict = connection.settings_dict
    return f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"


def server_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """A plain shell's environment with the test database and Redis: nothing else (no
    ``PROMETHEUS_MULTIPROC_DIR``: the server chooses its own)."""
    return plain_environment(
        data_dir,
        DATABASE_URL=test_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        DEBUG="1",  # no SECRET_KEY to set; LOG_FORMAT says json explicitly below
        LOG_FORMAT="json",
        **extra,
    )


@dataclass
class Process:
    process: subprocess.Popen
    log_path: Path
    base_url: str = ""
    pids_seen: set[int] = field(default_factory=set)

    def log_lines(self) -> list[dict]:
        """The JSON lines logged so far (other output, such as a crash's, is skipped)."""
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    continue
        return lines

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_uvicorn(tmp_dir: Path, *, workers: int, **extra: str) -> Process:
    port = free_port()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    log_path = tmp_dir / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--workers", str(workers)],
            cwd=REPO,
            env=server_environment(tmp_dir / "var", **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Process(process, log_path, base_url=f"http://127.0.0.1:{port}")
    try:
        wait_until_answering(f"{server.base_url}/healthz", process=process, timeout_seconds=180)
        # every worker up: each logs its start before it accepts
        deadline = time.monotonic() + 120
        while len(_started_workers(server)) < workers and time.monotonic() < deadline:
            time.sleep(0.3)
    except BaseException:
        server.stop()
        raise
    return server


def _started_workers(server: Process) -> set[int]:
    return {line["pid"] for line in server.log_lines() if line.get("message") == "Application startup complete."}


def start_celery_worker(tmp_dir: Path, *, queue: str, **extra: str) -> Process:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    log_path = tmp_dir / "celery.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=server_environment(tmp_dir / "var", **{**extra, "CELERY_QUEUE": queue}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = Process(process, log_path)
    deadline = time.monotonic() + 120
    while not any("ready" in str(line.get("message", "")) for line in worker.log_lines()):
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise AssertionError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    return worker


def http(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, Message, bytes]:
    """One request on a connection of its own: (status, headers (any case), body), whatever
    the status."""
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def samples(metrics_text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of metric ``name`` in Prometheus's text: labels (sorted pairs) → value."""
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found
