"""The README's quick start, executed as written against ``./scripts/serve`` itself (started in
a plain environment on a free port with a data dir of the test's own), step by step in one bash
shell, each step's result checked; then the server's console, which must hold only what an
operator needs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .plain import REPO, free_port, plain_environment, readme_shell_block, wait_until_answering

SENTINEL = "__quick_start_step_done__"


@pytest.fixture
def served(tmp_path_factory):
    """``./scripts/serve`` on a free port (sweeps every second, so a quiet console means quiet
    sweeps); yields its environment and the path of its console log."""
    data_dir = tmp_path_factory.mktemp("served") / "var"
    env = plain_environment(data_dir, PORT=str(free_port()), SWEEP_INTERVAL_SECONDS="1")
    log_path = data_dir.parent / "console.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            ["./scripts/serve"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_answering(f"http://127.0.0.1:{env['PORT']}/healthz", process=server, timeout_seconds=240)
        yield env, log_path
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


class Shell:
    """One bash process the README's steps run in, one after the other (variables carry over)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=REPO,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def run(self, script: str) -> tuple[int, str]:
        self.process.stdin.write(f"{script}\nprintf '\\n{SENTINEL} %s\\n' $?\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.startswith(SENTINEL):
                return int(line.split()[1]), "".join(lines).strip()
            lines.append(line)
        raise AssertionError(f"the shell ended: {''.join(lines)}")

    def value(self, name: str) -> str:
        return self.run(f'echo "${name}"')[1]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def api(env: dict[str, str], path: str, secret: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{env['PORT']}{path}", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_readme_quick_start_runs_as_written_against_scripts_serve(served):
    env, log_path = served
    steps = readme_shell_block("## Quick start").split("\n\n")
    assert [step.splitlines()[0][:4] for step in steps[1:]] == ["# 1.", "# 2.", "# 3.", "# 4."]
    credentials = json.loads((Path(env["GROUNDWORK_DATA_DIR"]) / "demo-credentials.json").read_text())
    api_key, token = credentials["requester"]["api_key"], credentials["workers"][0]["token"]
    shell = Shell(env)
    try:
        # the set-up: the base URL, the demo's credentials from demo.env, the JSON helper
        status, output = shell.run(steps[0])
        assert (status, output) == (0, "")
        assert (shell.value("GROUNDWORK_API_KEY"), shell.value("GROUNDWORK_TOKEN")) == (api_key, token)

        # 1. the requester posts a task
        status, output = shell.run(steps[1])
        task_id = int(shell.value("TASK"))
        assert (status, output) == (0, f"posted task {task_id}")
        task = api(env, f"/api/v1/tasks/{task_id}", api_key)
        assert (task["title"], task["status"], task["slots"], task["reward"]) == ("Cat or dog?", "open", 1, "0.05")

        # 2. the worker claims it (the demo's own open tasks have a lower priority)
        status, output = shell.run(steps[2])
        assignment_id = int(shell.value("ASSIGNMENT"))
        assert (status, output) == (0, f"claimed task {task_id} as assignment {assignment_id}")
        assert api(env, f"/api/v1/tasks/{task_id}", api_key)["status"] == "full"

        # 3. the worker submits
        status, output = shell.run(steps[3])
        submitted = json.loads(output)
        assert status == 0
        assert (submitted["id"], submitted["status"], submitted["answer"]) == (
            assignment_id,
            "submitted",
            {"label": "cat"},
        )

        # 4. the requester approves: the worker is paid
        status, output = shell.run(steps[4])
        approved_line, me_line = output.splitlines()
        approved, me = json.loads(approved_line), json.loads(me_line)
        assert status == 0
        assert (approved["id"], approved["status"]) == (assignment_id, "approved")
        assert (me["username"], me["earnings"]) == ("demo-ada", "0.05")
        assert api(env, f"/api/v1/tasks/{task_id}", api_key)["status"] == "complete"
    finally:
        shell.close()

    # One server for all three checks (it takes a while to start on 2 busy cores).
    check_an_empty_queue_is_a_204_with_an_empty_body_and_step_2_handles_it(env)
    check_the_console_says_what_an_operator_needs_and_nothing_else(env, log_path)


def check_an_empty_queue_is_a_204_with_an_empty_body_and_step_2_handles_it(env: dict[str, str]) -> None:
    # given a worker in no workteam (made with the README's operator command, beside the server)
    made = subprocess.run(
        ["bash", "-c", ".venv/bin/python manage.py create_worker lonely --no-public"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    claim = urllib.request.Request(
        f"http://127.0.0.1:{env['PORT']}/api/v1/worker/tasks/next",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    # when it asks for work
    with urllib.request.urlopen(claim, timeout=10) as response:
        answered = (response.status, response.read())
    # then: 204 and not a byte of body
    assert answered == (204, b"")
    # and the README's step 2, as this worker, says so instead of failing to parse nothing
    steps = readme_shell_block("## Quick start").split("\n\n")
    shell = Shell(env)
    try:
        assert shell.run(steps[0])[0] == 0
        shell.run(f"GROUNDWORK_TOKEN={token}")
        assert shell.run(steps[2]) == (0, "204: nothing is open for this worker right now")
        assert shell.value("ASSIGNMENT") == ""
    finally:
        shell.close()


def check_the_console_says_what_an_operator_needs_and_nothing_else(env: dict[str, str], log_path: Path) -> None:
    # given a served landing page, a static file and the favicon
    base = f"http://127.0.0.1:{env['PORT']}"
    for path in ("/", "/static/admin/css/base.css", "/favicon.ico"):
        with urllib.request.urlopen(base + path, timeout=10) as response:
            assert response.status == 200
    with urllib.request.urlopen(base + "/healthz", timeout=10):
        pass  # a request after those: their log lines are written by now
    # then the console has the requests, and none of the noise of issue 21
    console = log_path.read_text()
    assert '"GET /static/admin/css/base.css HTTP/1.1" 200' in console
    assert '"GET /favicon.ico HTTP/1.1" 200' in console
    assert "StreamingHttpResponse must consume synchronous iterators" not in console
    assert "'lifespan' protocol appears unsupported" not in console
    assert "Application startup complete." in console
    assert "Traceback" not in console
    # sweeps run every second: a pass that changed something says what (the demo's simulated
    # answers are consolidated once), a pass that changed nothing says nothing at INFO
    sweep_lines = [line for line in console.splitlines() if " INFO marketplace.background sweep " in line]
    assert all(re.search(r"sweep \w+: (\w+=[1-9]\d*(, )?)+$", line) for line in sweep_lines), sweep_lines
    time.sleep(3.5)  # three more passes, with nothing to do
    quiet = log_path.read_text()[len(console) :]
    assert " sweep " not in quiet, quiet
