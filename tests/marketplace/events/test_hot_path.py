"""What webhooks cost the submit path (docs/webhooks.md, "Delivery"): nothing for an
organization nobody listens to; one INSERT per event for one that listens (the nudge to the
sender is sent after the commit, outside the transaction)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.events.outbox import forget_subscriptions, wants_event
from marketplace.services.assignments import assignment_submit
from marketplace.services.dispatch import assignment_claim

from .conftest import make_endpoint

pytestmark = pytest.mark.django_db


def _submit_queries(requester, make_worker, make_tasks) -> list[str]:
    make_tasks(requester.organization, 1, slots=3)
    worker = make_worker()
    assignment = assignment_claim(worker=worker)
    wants_event(requester.organization.pk, "assignment.submitted")  # the cache is warm, as in steady state
    with CaptureQueriesContext(connection) as queries:
        assignment_submit(worker=worker, assignment_id=assignment.pk, answer={"label": "cat"})
    return [query["sql"] for query in queries]


def test_a_submit_costs_one_insert_per_event_and_nothing_without_listeners(make_requester, make_worker, make_tasks):
    # given: the same submit for an organization nobody listens to, and for one listening
    silent, listening = make_requester(), make_requester()
    make_endpoint(listening.organization, "https://example.com/hook", events=["assignment.submitted"])
    forget_subscriptions()

    # when
    without = _submit_queries(silent, make_worker, make_tasks)
    with_listener = _submit_queries(listening, make_worker, make_tasks)

    # then: exactly one more statement, the event's INSERT
    assert len(with_listener) == len(without) + 1
    extra = [sql for sql in with_listener if "marketplace_event" in sql]
    assert len(extra) == 1 and extra[0].startswith('INSERT INTO "marketplace_event"')
    assert not any("webhook" in sql or "marketplace_event" in sql for sql in without)
