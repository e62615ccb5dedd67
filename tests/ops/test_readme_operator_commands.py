"""The README's operator commands, run exactly as written (parsed from README.md, so the two
cannot drift) in a plain shell on a fresh embedded default: no DEBUG, no SECRET_KEY, no
DATABASE_URL, only a data dir of the test's own."""

from __future__ import annotations

import json
import re
import subprocess

from .plain import REPO, plain_environment, readme_shell_block

# Ids a command prints (``organization_id``) fill an earlier-printed placeholder (ORGANIZATION_ID).
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]*_ID\b")
PROJECT_COMMANDS = {
    "create_requester",
    "create_worker",
    "create_vendor",
    "deposit",
    "register_storage",
    "join_workteam",
    "payouts",
    "run_sweeps",
    "seed_demo",
    "seed_labeling_demo",
}


def run_in_plain_shell(line: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


def test_manage_py_help_lists_the_projects_commands_in_a_plain_shell(tmp_path):
    # when
    result = run_in_plain_shell(".venv/bin/python manage.py help", plain_environment(tmp_path / "var"))
    # then
    assert result.returncode == 0, result.stderr
    listed = {line.strip() for line in result.stdout.splitlines()}
    assert PROJECT_COMMANDS <= listed
    assert "could not be loaded" not in result.stderr + result.stdout


def test_the_readme_operator_commands_run_as_written_in_a_plain_shell(tmp_path):
    # given the README's block and a fresh data dir
    lines = [line for line in readme_shell_block("## Operator commands").splitlines() if line.strip()]
    commands = {line.split()[2] for line in lines}
    assert PROJECT_COMMANDS <= commands, "the README shows every operator command"
    env = plain_environment(tmp_path / "var")
    ids: dict[str, int] = {}
    printed_by: dict[str, dict] = {}
    for line in lines:
        command, _, comment = line.partition(" # ")
        for placeholder in PLACEHOLDER.findall(command):
            assert placeholder in ids, f"{placeholder} in {line!r}: no earlier command printed it"
        # when
        result = run_in_plain_shell(PLACEHOLDER.sub(lambda match: str(ids[match.group()]), line), env)
        # then
        assert result.returncode == 0, f"{line}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, result.stderr
        if "→" not in comment:
            continue
        printed = json.loads(result.stdout)  # one JSON object and nothing else
        assert isinstance(printed, dict), result.stdout
        documented = [key.strip() for key in comment.split("→", 1)[1].split("(")[0].split(",")]
        assert set(documented) <= set(printed), f"{line}: printed {sorted(printed)}"
        printed_by[command.split()[2]] = printed
        ids.update(
            {key.upper(): value for key, value in printed.items() if key.endswith("_id") and isinstance(value, int)}
        )

    # and what they printed is what they did
    assert printed_by["deposit"]["created"] is True
    assert printed_by["deposit"]["kind"] == "deposit"
    assert printed_by["register_storage"]["uri_prefix"] == "file://acme/"
    assert printed_by["register_storage"]["organization_id"] == printed_by["create_requester"]["organization_id"]
    assert printed_by["join_workteam"] == {"worker_id": printed_by["create_worker"]["worker_id"], "workteam_id": 1}
    assert printed_by["create_worker"]["token"].startswith("gww_")
    assert printed_by["seed_labeling_demo"]["labeling_job"]["input_manifest_uri"] == "file://demo/reviews.jsonl"
    # on the embedded default, in the test's data dir, not the work tree's var/
    assert (tmp_path / "var" / "groundwork.sqlite3").is_file()
    assert (tmp_path / "var" / "demo-credentials.json").is_file()
