"""Shared fixtures: real services (no mocks of our own components), factories, API clients."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.support.factories import client_with, new_requester, new_worker, post_tasks


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# Where the portal's browser tests write their screenshots; printed at the end of the run (from
# this root conftest, which the controller of a parallel run loads too).
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[1] / "var" / "screenshots"))


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOT_DIR.is_dir() and any(SCREENSHOT_DIR.glob("*.png")):
        terminalreporter.write_line(f"portal screenshots: {SCREENSHOT_DIR}")


needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI's .ci/run does)",
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test its own rate-limit buckets: ids repeat across tests (SQLite rolls its
    sequences back), and a worker of an earlier test must not leave a drained bucket behind."""
    settings.RATE_LIMIT_NAMESPACE = f"gwtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_requester(db):
    """``factories.new_requester``: a requester organization (with ``api_key``), funded with
    $100,000 unless ``balance_micros`` says otherwise."""
    return new_requester


@pytest.fixture
def requester(make_requester):
    return make_requester()


@pytest.fixture
def requester_client(requester) -> APIClient:
    return client_with(requester.api_key)


@pytest.fixture
def storage_root(tmp_path, settings) -> Path:
    """``STORAGE_ROOT`` pointed at a fresh folder for this test (resolved): where ``file://``
    manifests of labeling jobs live."""
    root = (tmp_path / "storage-root").resolve()
    root.mkdir()
    settings.STORAGE_ROOT = root
    return root


@pytest.fixture
def make_worker(db):
    """``factories.new_worker``: a worker carrying its ``token`` and REST ``client``."""
    return new_worker


@pytest.fixture
def make_tasks(db):
    """``factories.post_tasks``: ``make_tasks(requester_org, n, slots=3, ...)``."""
    return post_tasks


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools_before_the_test_database_is_dropped(django_db_setup, django_db_blocker):
    """Hand this thread's connection back and close the pools, so no pooled connection keeps
    the test database busy when it is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        for alias in connections:
            close_pool = getattr(connections[alias], "close_pool", None)
            if close_pool is not None:
                close_pool()


@contextlib.contextmanager
def refusing_rows(*, event: str, condition: str):
    """A trigger on ``marketplace_assignment`` that fails the statement (``check_violation``, an
    ``IntegrityError``) for each row matching ``condition`` (SQL over ``NEW``)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE OR REPLACE FUNCTION gw_test_refuse_row() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = 'check_violation'; END
            $$ LANGUAGE plpgsql""")
        cursor.execute(f"""
            CREATE TRIGGER gw_test_refuse BEFORE {event} ON marketplace_assignment
            FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION gw_test_refuse_row()""")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS gw_test_refuse ON marketplace_assignment")
            cursor.execute("DROP FUNCTION IF EXISTS gw_test_refuse_row()")
