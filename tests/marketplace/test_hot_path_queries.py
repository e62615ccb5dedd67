"""The statements of a claim+submit cycle over the real routes (issue 20: at most 6, counted
here so that a change adding a query to the hot path fails), and the per-process trust of
worker tokens that keeps the token's query off it (revocation honoured within a second)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.events.outbox import forget_subscriptions
from marketplace.models import TaskWorkerExclusion, Worker
from marketplace.selectors.credentials import forget_worker_credentials
from marketplace.services.workers import worker_token_revoke
from tests.conftest import needs_postgres
from tests.marketplace.events.conftest import make_endpoint
from tests.support.worker_api import claim, claim_and_submit, submit

pytestmark = [pytest.mark.django_db, needs_postgres]

MAX_STATEMENTS_PER_CYCLE = 6  # the bound; the cycle below must stay within it
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def trusted_tokens(settings):
    """Tokens trusted for a minute, so a slow machine never sees one expire mid-test."""
    settings.GROUNDWORK = {**settings.GROUNDWORK, "WORKER_CREDENTIAL_CACHE_SECONDS": 60}
    forget_worker_credentials()
    yield
    forget_worker_credentials()


def _statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, less the savepoints the test's own transaction turns ``atomic`` into."""
    return [q["sql"].strip() for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def _cycle(worker) -> tuple[list[str], list[str]]:
    """The statements of one claim and of one submit, over the REST routes."""
    with CaptureQueriesContext(connection) as claim_queries:
        response = claim(worker)
    assert response.status_code == 200, response.content
    with CaptureQueriesContext(connection) as submit_queries:
        answered = submit(worker, response.json()["assignment_id"])
    assert answered.status_code == 200, answered.content
    return _statements(claim_queries), _statements(submit_queries)


def test_a_claim_and_a_submit_cost_five_statements(trusted_tokens, make_requester, make_worker, make_tasks):
    # given: a worker that has worked before (its token trusted, its reputation row made)
    requester = make_requester()
    make_tasks(requester.organization, 5, slots=3)
    worker = make_worker()
    claim_and_submit(worker)

    # when
    claimed, submitted = _cycle(worker)

    # then: the claim is the worker's row locked, its state read (after the lock, so it sees
    # what a claim it waited for committed) and one claim statement; the submit is the
    # assignment locked and one statement writing it, its task and reputation
    assert len(claimed) + len(submitted) <= MAX_STATEMENTS_PER_CYCLE
    assert [s.split()[0] for s in claimed] == ["SELECT", "SELECT", "WITH"], claimed
    assert "FOR NO KEY UPDATE" in claimed[0] and 'FROM "marketplace_worker"' in claimed[0]
    assert "FOR NO KEY UPDATE" not in claimed[1] and "marketplace_assignment" in claimed[1]
    claim_sql = claimed[2]
    for part in ("SKIP LOCKED", "INSERT INTO marketplace_assignment", "UPDATE marketplace_task"):
        assert part in claim_sql, part
    assert "marketplace_taskworkerexclusion" in claim_sql  # the self-review exclusion is in the rule
    assert [s.split()[0] for s in submitted] == ["SELECT", "WITH"], submitted
    assert "FOR NO KEY UPDATE" in submitted[0]
    assert "marketplace_workerreputation" in submitted[1]


def test_a_listened_submit_adds_only_its_event_insert(trusted_tokens, make_requester, make_worker, make_tasks):
    # given: a requester listening to submissions
    requester = make_requester()
    make_endpoint(requester.organization, "https://example.com/hook", events=["assignment.submitted"])
    forget_subscriptions()
    make_tasks(requester.organization, 5, slots=3)
    worker = make_worker()
    claim_and_submit(worker)

    # when
    claimed, submitted = _cycle(worker)

    # then: one more statement, the event's outbox INSERT
    events = [s for s in submitted if s.startswith('INSERT INTO "marketplace_event"')]
    assert len(events) == 1
    assert len(claimed) + len(submitted) - len(events) <= MAX_STATEMENTS_PER_CYCLE
    assert len(claimed) == 3 and len(submitted) == 3


def test_the_claim_statement_honours_the_self_review_exclusion(trusted_tokens, make_requester, make_worker, make_tasks):
    # given: two tasks, the better (older) one excluding this worker
    requester = make_requester()
    excluded, other = make_tasks(requester.organization, 2, slots=3)
    worker = make_worker()
    TaskWorkerExclusion.objects.create(task=excluded, worker=worker)

    # when
    offered = claim(worker).json()

    # then
    assert offered["task_id"] == other.pk


def test_a_token_revoked_here_stops_at_once(trusted_tokens, make_requester, make_worker, make_tasks):
    # given: a worker whose token this process trusts
    requester = make_requester()
    make_tasks(requester.organization, 5, slots=3)
    worker = make_worker()
    claim_and_submit(worker)

    # when
    worker_token_revoke(worker=Worker.objects.get(pk=worker.pk))

    # then
    assert claim(worker).status_code == 401


def test_a_token_revoked_elsewhere_stops_within_a_second(settings, make_requester, make_worker, make_tasks):
    # given: a worker whose token this process trusts (the default second)
    forget_worker_credentials()
    requester = make_requester()
    make_tasks(requester.organization, 5, slots=3)
    worker = make_worker()
    claim_and_submit(worker)

    # when: another process revokes it (the row changed behind this process's back)
    Worker.objects.filter(pk=worker.pk).update(token_hash="0" * 64, token_revoked_at="2026-01-01T00:00:00Z")
    time.sleep(settings.GROUNDWORK["WORKER_CREDENTIAL_CACHE_SECONDS"] + 0.05)

    # then
    assert claim(worker).status_code == 401
