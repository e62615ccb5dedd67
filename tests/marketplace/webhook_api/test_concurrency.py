"""Webhook endpoints under concurrency, on PostgreSQL with real threads (each its own
connection): the per-organization cap holds when registrations race, and a rotation racing
a change of the endpoint loses neither."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, connections

from marketplace.events.endpoints import endpoint_secrets
from marketplace.models import WebhookEndpoint
from marketplace.services.webhook_endpoints import MAX_ENDPOINTS_PER_ORGANIZATION
from tests.conftest import needs_postgres
from tests.support.factories import client_with

from .helpers import ENDPOINTS_URL, register

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

URL = "http://127.0.0.1:9/hooks"


def at_once(calls: list) -> list:
    """Run each call on its own thread, released together; their results in order."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = calls[index]()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@contextlib.contextmanager
def slow_endpoint_inserts(seconds: float):
    """Each INSERT of an endpoint takes ``seconds`` (a trigger sleeping), so a count-then-insert
    race would have time to happen."""
    table = WebhookEndpoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION gw_test_slow_insert() RETURNS trigger AS $$ "
            f"BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER gw_test_slow BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION gw_test_slow_insert()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS gw_test_slow ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS gw_test_slow_insert()")


def test_racing_registrations_never_pass_the_cap(requester):
    # given: one place left, and inserts slow enough for a race to show
    client = client_with(requester.api_key)
    for n in range(MAX_ENDPOINTS_PER_ORGANIZATION - 1):
        register(client, f"{URL}/{n}")
    # when: four registrations at once, each with its own client and connection
    clients = [client_with(requester.api_key) for _ in range(4)]
    with slow_endpoint_inserts(0.3):
        responses = at_once(
            [
                lambda c=c, n=n: c.post(ENDPOINTS_URL, {"url": f"{URL}/race-{n}", "events": ["*"]}, format="json")
                for n, c in enumerate(clients)
            ]
        )
    # then
    assert sorted(response.status_code for response in responses) == [201, 409, 409, 409]
    assert WebhookEndpoint.objects.filter(organization=requester.organization).count() == MAX_ENDPOINTS_PER_ORGANIZATION


def test_a_rotation_racing_a_change_keeps_both(requester):
    # given
    client = client_with(requester.api_key)
    endpoint = register(client, URL, ["task.completed"])
    path = f"{ENDPOINTS_URL}/{endpoint['id']}"
    rotate_client, change_client = client_with(requester.api_key), client_with(requester.api_key)
    # when
    rotated, changed = at_once(
        [
            lambda: rotate_client.post(f"{path}/rotate-secret", {"overlap_seconds": 60}, format="json"),
            lambda: change_client.patch(path, {"events": ["assignment.approved"], "is_active": False}, format="json"),
        ]
    )
    # then: the new secret and the change are both stored
    assert (rotated.status_code, changed.status_code) == (200, 200)
    stored = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert (stored.events, stored.is_active) == (["assignment.approved"], False)
    assert endpoint_secrets(stored) == [rotated.json()["secret"], endpoint["secret"]]
