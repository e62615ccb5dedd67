"""Background work for real: a Celery worker on Redis, the in-process sweep thread, and the
production settings guard."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from marketplace import background
from marketplace.models import Assignment
from marketplace.services.dispatch import assignment_claim
from tests.conftest import needs_postgres

ROOT = Path(__file__).resolve().parents[2]


def _overdue_assignment(make_requester, make_worker, make_tasks) -> Assignment:
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    assignment = assignment_claim(worker=make_worker())
    Assignment.objects.filter(pk=assignment.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    return assignment


def _wait_for_status(assignment: Assignment, status: str, seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assignment.refresh_from_db()
        if assignment.status == status:
            break
        time.sleep(0.1)
    return assignment.status


@needs_postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_runs_the_sweeps_sent_through_redis(make_requester, make_worker, make_tasks):
    # given: an overdue assignment, and a real Celery worker on the test database and Redis
    assignment = _overdue_assignment(make_requester, make_worker, make_tasks)
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    queue = f"sweeps-test-{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    worker = subprocess.Popen(
        [
            sys.executable,
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
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        # when
        from marketplace.background_jobs import run_sweeps

        run_sweeps.apply_async(queue=queue)
        status = _wait_for_status(assignment, "expired", seconds=30)
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    # then
    assert status == "expired"


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_sweeps_without_any_service(make_requester, make_worker, make_tasks):
    # given
    assignment = _overdue_assignment(make_requester, make_worker, make_tasks)
    if background._started.is_set():
        pytest.skip("the in-process worker was already started in this process")

    # when
    with override_settings(BACKGROUND_MODE="inprocess", SWEEP_INTERVAL_SECONDS=0.2):
        started = background.start_in_process_worker_if_configured()
        status = _wait_for_status(assignment, "expired", seconds=10)
    background._stop.set()

    # then
    assert started is True
    assert status == "expired"


def test_production_refuses_to_start_without_secret_key_and_allowed_hosts():
    # given
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    # when
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    # then
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS must be set" in result.stderr
