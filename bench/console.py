"""The worker console: its JavaScript and CSS size, and the time from a task being posted to it
showing in the console, measured in Chromium on the embedded default.

Run:  python bench/console.py [--tasks 30]

Starts, in a fresh data folder, a server as ``./scripts/serve`` does (SQLite, the in-memory
channel layer, in-process background work; one uvicorn process, with ``DEBUG`` off), creates a
funded requester and a worker with the operator commands, activates the worker's console with
its token in headless Chromium (``CHROMIUM_PATH`` or Debian's ``chromium``), presses Start and,
for each task: posts it over REST (one ``POST /api/v1/tasks``) while the worker waits with
nothing to do, and records when the task's title appears on the page (a MutationObserver in the
page stamps the time); then answers it by keyboard (``1``, ``Enter``). Post→visible is the page's
stamp minus the time just before the POST was sent (one clock: same machine). Also reports
submit→next task shown with a backlog (the prefetched task appears after ``ack``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "labeling" / "static" / "console"
CORE_FILES = [
    "console.js",
    "markdown.js",
    "task-ui.js",
    "work.js",
    "home.js",
    "history.js",
    "tests.js",
    "preview.js",
    "console.css",
]
PASSWORD = "bench console password 1"


def sizes() -> None:
    files = sorted(p for p in STATIC.rglob("*") if p.suffix in (".js", ".css"))
    core = [STATIC / name for name in CORE_FILES]
    total = sum(p.stat().st_size for p in files)
    core_total = sum(p.stat().st_size for p in core)
    gzipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    print(
        f"console JavaScript+CSS: console-core {core_total / 1000:.1f} kB; all ({len(files)} files) "
        f"{total / 1000:.1f} kB uncompressed, {gzipped / 1000:.1f} kB gzipped (budget 150 kB uncompressed)"
    )
    for path in files:
        print(f"  {path.relative_to(STATIC)}  {path.stat().st_size / 1000:.1f} kB")


def manage(env: dict, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(name: str, values_ms: list[float]) -> None:
    print(
        f"{name}: n={len(values_ms)} p50 {statistics.median(values_ms):.0f} ms, "
        f"p90 {percentile(values_ms, 0.9):.0f} ms, max {max(values_ms):.0f} ms"
    )


OBSERVER = """() => {
  window.__shown = {};
  const title = document.getElementById('task-title');
  new MutationObserver(() => {
    const text = title.textContent;
    if (text && !(text in window.__shown)) window.__shown[text] = performance.timeOrigin + performance.now();
  }).observe(title, {childList: true, characterData: true, subtree: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=30)
    options = parser.parse_args()
    sizes()

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    data_dir = Path(tempfile.mkdtemp(prefix="groundwork-bench-console-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "GROUNDWORK_DATA_DIR": str(data_dir),
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    manage(env, "migrate", "--verbosity", "0")
    requester = manage(env, "create_requester", "Bench requester")
    manage(env, "deposit", str(requester["organization_id"]), "1000", "--reference", "bench")
    worker = manage(env, "create_worker", "bench-worker")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {requester['api_key']}"}, timeout=15)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(base_url=base)
            page.set_default_timeout(15_000)
            page.goto("/console/activate")
            page.fill("input[name=token]", worker["token"])
            page.click("main button[type=submit]")
            page.fill("input[name=new_password1]", PASSWORD)
            page.fill("input[name=new_password2]", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_selector("[data-username]")
            page.goto("/console/work")
            page.evaluate(OBSERVER)
            page.click("#start")
            page.wait_for_selector("#connection:has-text('Connected')")
            page.wait_for_timeout(500)  # the standing ready is answered with idle

            idle_latencies = []
            for index in range(options.tasks):
                title = f"Bench idle {index}"
                sent_at = time.time() * 1000
                response = api.post(
                    "/api/v1/tasks",
                    json={"title": title, "reward": "0.01", "labels": ["a", "b"], "input": {"text": f"item {index}"}},
                )
                assert response.status_code == 201, response.text
                page.wait_for_function("t => t in window.__shown", arg=title)
                idle_latencies.append(page.evaluate("t => window.__shown[t]", title) - sent_at)
                page.keyboard.press("1")
                page.keyboard.press("Enter")
                page.wait_for_selector("#idle:not([hidden])")
                page.wait_for_timeout(150)
            report("post → visible (worker waiting, task pushed)", idle_latencies)

            # A backlog: the next task is claimed and loaded while the current one is labeled.
            titles = [f"Bench backlog {index}" for index in range(options.tasks + 1)]
            assert (
                api.post(
                    "/api/v1/tasks",
                    json=[{"title": t, "reward": "0.01", "labels": ["a", "b"], "input": {"text": t}} for t in titles],
                ).status_code
                == 201
            )
            page.wait_for_function("t => t in window.__shown", arg=titles[0])
            next_latencies = []
            for _ in range(options.tasks):
                shown = page.locator("#task-title").inner_text()
                pressed_at = page.evaluate("() => performance.timeOrigin + performance.now()")
                page.keyboard.press("1")
                page.keyboard.press("Enter")
                page.wait_for_function("t => document.getElementById('task-title').textContent !== t", arg=shown)
                now_shown = page.locator("#task-title").inner_text()
                next_latencies.append(page.evaluate("t => window.__shown[t]", now_shown) - pressed_at)
            report("submit → next task visible (backlog, prefetched)", next_latencies)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
