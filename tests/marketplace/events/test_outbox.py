"""``record_event``: one row in the caller's transaction, its body fixed at once; nothing at
all (and, once cached, no query) for an organization nobody listens to."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from marketplace.events.outbox import record_event
from marketplace.models import Event

from .conftest import make_endpoint


def _record(organization_id: int, event_type: str = "task.completed", data: object = None) -> None:
    record_event(
        organization_id=organization_id,
        event_type=event_type,
        data=data if data is not None else {"id": 7},
        ordering_key="task:7",
    )


@pytest.mark.django_db(transaction=True)  # not inside the test's own transaction
def test_outside_a_transaction_it_refuses(requester):
    make_endpoint(requester.organization, "https://example.com/hook")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        _record(requester.organization.pk)
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_the_body_is_fixed_when_written(requester):
    # given
    make_endpoint(requester.organization, "https://example.com/hook", events=["task.completed"])
    data = {"id": 7, "status": "complete", "title": "naïve"}

    # when
    with transaction.atomic():
        _record(requester.organization.pk, data=data)
    data["status"] = "changed later"

    # then
    event = Event.objects.get()
    body = json.loads(event.body)
    assert set(body) == {"id", "type", "created", "data"}
    assert body["id"] == event.public_id and event.public_id.startswith("evt_")
    assert body["type"] == "task.completed" == event.type
    assert body["created"].endswith("Z") and body["created"][:19] == event.created_at.strftime("%Y-%m-%dT%H:%M:%S")
    assert body["data"] == {"id": 7, "status": "complete", "title": "naïve"}
    assert (event.ordering_key, event.is_fanned_out) == ("task:7", False)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event(requester):
    make_endpoint(requester.organization, "https://example.com/hook")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _record(requester.organization.pk)
        1 / 0  # noqa: B018
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_nobody_listening_means_no_row_and_once_cached_no_query(make_requester):
    # given: one organization with no endpoint, one subscribed to another type only, one to
    # this type through a disabled endpoint
    silent, elsewhere, disabled = make_requester(), make_requester(), make_requester()
    make_endpoint(elsewhere.organization, "https://example.com/a", events=["assignment.submitted"])
    endpoint, _ = make_endpoint(disabled.organization, "https://example.com/b", events=["task.completed"])
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    built = []

    # when
    with transaction.atomic():
        for org in (silent, elsewhere, disabled):
            _record(org.organization.pk, data=lambda: built.append(1) or {"id": 1})
        with CaptureQueriesContext(connection) as queries:
            for org in (silent, elsewhere, disabled):
                _record(org.organization.pk)

    # then: no rows, the data never built, and the second round asked the database nothing
    assert Event.objects.count() == 0
    assert built == []
    assert len(queries) == 0


@pytest.mark.django_db
def test_an_endpoint_saved_in_this_process_is_seen_at_once(requester):
    with transaction.atomic():
        _record(requester.organization.pk)  # caches "nobody listens"
    make_endpoint(requester.organization, "https://example.com/hook", events=["task.completed"])
    with transaction.atomic():
        _record(requester.organization.pk)
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_unknown_types_are_a_bug(requester):
    with pytest.raises(ValueError, match="unknown event type"), transaction.atomic():
        _record(requester.organization.pk, event_type="task.exploded")
