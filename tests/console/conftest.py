"""Console fixtures: a real ASGI server (uvicorn in a subprocess) on the test database, Chromium
(``tests/portal/conftest.py``'s), and signed-in console pages.

The server is another process, so it sees only committed rows: tests using ``console_server``
run on a transactional database (``transactional_db``), and their factories commit. It runs with
``DEBUG`` off (static files through WhiteNoise, no collectstatic) and in-process sweeps every
second. ``console_server.restart()`` stops it and starts it again on the same port: open
websockets drop, and clients must reconnect.

Typical use (see ``test_console_browser.py``)::

    def test_something(console_server, console_page, console_worker, post_tasks):
        post_tasks(task_type="custom", labels=["cat", "dog"], n=3)   # over REST, on the server
        sign_in(console_page, console_worker)
        console_page.goto("/console/work")
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.db import connection

from marketplace.services.worker_accounts import worker_password_set
from tests.conftest import SCREENSHOT_DIR
from tests.portal.conftest import CHROMIUM, browser  # noqa: F401  (the module-scoped Chromium fixture)

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ConsoleServer:
    """uvicorn serving ``config.asgi`` on the test database, one process, ``DEBUG`` off."""

    def __init__(self, *, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ROOT / "var" / f"console-server-{self.port}.log"
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DEBUG": "0",
            "SECRET_KEY": "console-tests-only",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "BACKGROUND_MODE": "inprocess",
            "SWEEP_INTERVAL_SECONDS": "1",
            "REALTIME_RECHECK_SECONDS": "1",
            "PUBLIC_BASE_URL": self.url,
        }
        if db["ENGINE"].endswith("postgresql"):
            env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(db["NAME"])
        env.update(extra_env or {})
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> ConsoleServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"uvicorn did not start: see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, *, down_seconds: float = 0.0) -> None:
        """Stop (open websockets drop), wait, start again on the same port."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def api(self, secret: str) -> httpx.Client:
        """An HTTP client of this server with ``Authorization: Bearer <secret>``."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {secret}"}, timeout=15)

    def start_labeling_job(self, api_key: str, body: dict) -> dict:
        """Create a labeling job over the API and wait until it is ``in_progress`` (its manifest
        read and its batch posted); returns the job as ``GET`` shows it."""
        with self.api(api_key) as client:
            response = client.post("/api/v1/labeling-jobs", json=body)
            assert response.status_code == 201, response.text
            for _ in range(200):
                job = client.get(f"/api/v1/labeling-jobs/{response.json()['id']}").json()
                if job["status"] != "initializing":
                    break
                time.sleep(0.05)
        assert job["status"] == "in_progress", job
        return job


@pytest.fixture
def console_server(transactional_db):
    server = ConsoleServer().start()
    yield server
    server.stop()


@pytest.fixture
def console_worker(make_worker):
    """A worker (public workforce) with a console password: ``.username``, ``.password``, ``.token``."""
    worker = make_worker(f"console-{next(_names)}")
    worker_password_set(worker=worker, password=CONSOLE_PASSWORD)
    worker.password_plain = CONSOLE_PASSWORD
    return worker


@dataclass
class Poster:
    """Posts tasks over the server's REST API as ``requester`` (``make_requester()``'s)."""

    server: ConsoleServer
    requester: object

    def __call__(self, n: int = 1, **spec) -> list[dict]:
        spec.setdefault("reward", "0.05")
        spec.setdefault("title", "Console task")
        with self.server.api(self.requester.api_key) as client:
            response = client.post(
                "/api/v1/tasks", json=[{**spec, "title": f"{spec['title']} {i + 1}"} for i in range(n)]
            )
        assert response.status_code == 201, response.text
        return response.json()["results"] if isinstance(response.json(), dict) else response.json()


@pytest.fixture
def post_tasks(console_server, make_requester) -> Poster:
    """``post_tasks(n, **task_fields)``: tasks posted over REST to the running server (so its
    dispatcher hears of them at once). ``post_tasks.requester`` is the funded requester."""
    return Poster(console_server, make_requester())


@pytest.fixture
def console_page(browser, console_server):  # noqa: F811
    """A fresh Chromium context (no cookies) on the console server; console errors collected in
    ``page.console_errors``, CSP violations included."""
    context = browser.new_context(base_url=console_server.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def sign_in(page, worker, *, password: str | None = None) -> None:
    """Sign in through the console's form and wait for the home page."""
    page.goto("/console/")
    page.fill("input[name=username]", worker.username)
    page.fill("input[name=password]", password or worker.password_plain)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-username]")


def screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
