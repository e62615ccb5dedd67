"""What "production" means (README "Configuration"): DEBUG off on a real database, or DEBUG off
in a serving process, refuses to start without SECRET_KEY and ALLOWED_HOSTS; the operator
commands on the embedded default need neither. Each case is a real process."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

from django.conf import settings

from config.celery import app as celery_app

from .plain import PYTHON, REPO, free_port, plain_environment, wait_until_answering

REFUSED_TO_SERVE = "DEBUG is off, so SECRET_KEY and ALLOWED_HOSTS must be set in the environment to serve"


def test_the_asgi_server_refuses_to_start_without_the_secrets(tmp_path):
    # when uvicorn is started as the README's production command, with nothing set
    port = free_port()
    result = subprocess.run(
        [PYTHON, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
        cwd=REPO,
        env=plain_environment(tmp_path / "var"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it exits, saying why, and never listened
    assert result.returncode != 0
    assert REFUSED_TO_SERVE in result.stderr
    assert "Uvicorn running" not in result.stderr


def test_the_wsgi_entry_point_refuses_too_naming_what_is_missing(tmp_path):
    # given a SECRET_KEY but no ALLOWED_HOSTS
    env = plain_environment(tmp_path / "var", SECRET_KEY="s" * 50)
    # when
    result = subprocess.run(
        [PYTHON, "-c", "import config.wsgi"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    # then
    assert result.returncode != 0
    assert "DEBUG is off, so ALLOWED_HOSTS must be set in the environment to serve" in result.stderr


def test_with_the_secrets_set_the_server_starts_and_answers_only_its_hosts(tmp_path):
    # given production's two settings
    port = free_port()
    env = plain_environment(
        tmp_path / "var", SECRET_KEY="s" * 50, ALLOWED_HOSTS="127.0.0.1", BACKGROUND_MODE="celery"
    )  # no sweeps on this unmigrated database
    server = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # when
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", process=server, timeout_seconds=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            allowed = response.status
        foreign = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "evil.example"})
        try:
            urllib.request.urlopen(foreign, timeout=10)
            refused = 200
        except urllib.error.HTTPError as error:
            refused = error.code
        # then
        assert (allowed, refused) == (200, 400)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_operator_commands_on_a_production_database_refuse_without_the_secrets_and_touch_nothing(tmp_path):
    # given DATABASE_URL set (a database of its own, so "nothing touched" can be seen)
    database = tmp_path / "production.sqlite3"
    env = plain_environment(tmp_path / "var", DATABASE_URL=f"sqlite:///{database}")
    # when
    result = subprocess.run(
        [PYTHON, "manage.py", "create_worker", "bob"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    # then
    assert result.returncode != 0
    assert "DEBUG is off and DATABASE_URL is set, so SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr
    assert not database.exists()
    # and with them set, the project's commands are there
    with_secrets = {**env, "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "groundwork.example"}
    listed = subprocess.run(
        [PYTHON, "manage.py", "help"], cwd=REPO, env=with_secrets, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert "create_worker" in listed.stdout.split()


def test_celery_beat_keeps_its_schedule_under_the_data_dir_and_git_ignores_strays():
    assert celery_app.conf.beat_schedule_filename == str(settings.DATA_DIR / "celerybeat-schedule")
    assert "celerybeat-schedule*" in (REPO / ".gitignore").read_text().splitlines()
