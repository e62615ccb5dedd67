"""The delivery log of an endpoint, the organization's events and redelivery, through the real
routes, with events written by the outbox and sent by the real sender to a real HTTP receiver
on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Delivery, Event, WebhookEndpoint
from tests.marketplace.events.receiver import Reply
from tests.support.factories import client_with

from .helpers import ENDPOINTS_URL, EVENTS_URL, emit, register, send_now

pytestmark = pytest.mark.django_db


def due_now(endpoint_id: int) -> None:
    """Let the endpoint's retries come due (the time a test does not wait for)."""
    Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )


def verifies(body: bytes, header: str, secret: str) -> bool:
    """The receiver's check of docs/webhooks.md: some v1 is the HMAC of "<t>.<body>"."""
    parts = [part.split("=", 1) for part in header.split(",")]
    timestamp = next(value for key, value in parts if key == "t")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in parts if key == "v1")


def test_the_delivery_log_shows_each_attempt_with_status_duration_and_the_answer(requester_client, requester, receiver):
    # given: a receiver that fails once, then takes the event
    endpoint = register(requester_client, receiver.url())
    receiver.script("/hook", Reply(503, body=b"busy " * 400))  # 2 KB: the log keeps the first KB
    emit(requester.organization.pk, "task.completed", id=7)
    send_now(endpoint["id"])
    # when
    pending = requester_client.get(f"{ENDPOINTS_URL}/{endpoint['id']}/deliveries").json()
    # then
    [delivery] = pending["results"]
    event = Event.objects.get()
    assert (delivery["event_id"], delivery["event_type"], delivery["status"], delivery["attempts"]) == (
        event.public_id,
        "task.completed",
        "pending",
        1,
    )
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 503 and attempt["duration_ms"] >= 0 and attempt["error"] == ""
    assert attempt["response_excerpt"] == ("busy " * 400)[:1024]
    # when: the retry comes due and succeeds
    due_now(endpoint["id"])
    send_now(endpoint["id"])
    done = requester_client.get(f"{ENDPOINTS_URL}/{endpoint['id']}/deliveries").json()["results"][0]
    # then
    assert (done["status"], done["attempts"], done["delivered_at"] is not None) == ("succeeded", 2, True)
    assert [attempt["status_code"] for attempt in done["attempt_log"]] == [503, 200]
    first, second = receiver.at("/hook")
    assert first.body == second.body == event.body.encode()
    assert verifies(second.body, second.headers["groundwork-signature"], endpoint["secret"])


def test_after_a_rotation_each_delivery_carries_both_signatures(requester_client, requester, receiver):
    # given
    endpoint = register(requester_client, receiver.url())
    rotated = requester_client.post(f"{ENDPOINTS_URL}/{endpoint['id']}/rotate-secret").json()
    emit(requester.organization.pk)
    # when
    send_now(endpoint["id"])
    # then
    [received] = receiver.at("/hook")
    body, header = received.body, received.headers["groundwork-signature"]
    assert header.count("v1=") == 2
    assert verifies(body, header, rotated["secret"]) and verifies(body, header, endpoint["secret"])
    assert not verifies(body, header, "whsec_someone-else")


def test_moving_a_failing_endpoint_to_a_new_url_sends_its_waiting_deliveries_at_once(
    requester_client, requester, receiver
):
    # given: the old URL failed, so the delivery waits for its retry
    endpoint = register(requester_client, receiver.url("/old"))
    receiver.script("/old", Reply(500))
    emit(requester.organization.pk)
    send_now(endpoint["id"])
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at > timezone.now()
    assert WebhookEndpoint.objects.get().failing_since is not None
    # when
    response = requester_client.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", {"url": receiver.url("/new")}, format="json")
    # then: due now, the streak forgotten, and the next pass delivers to the new URL
    assert response.status_code == 200 and response.json()["failing_since"] is None
    delivery.refresh_from_db()
    assert delivery.next_attempt_at <= timezone.now()
    send_now(endpoint["id"])
    assert [received.path for received in receiver.at("/new")] == ["/new"]
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_enabling_an_endpoint_sends_the_deliveries_that_waited(requester_client, requester, receiver):
    # given: a delivery failed once, then the requester disabled the endpoint
    endpoint = register(requester_client, receiver.url())
    receiver.script("/hook", Reply(503))
    emit(requester.organization.pk)
    send_now(endpoint["id"])
    path = f"{ENDPOINTS_URL}/{endpoint['id']}"
    requester_client.patch(path, {"is_active": False}, format="json")
    assert send_now(endpoint["id"]) == 0 and len(receiver.at("/hook")) == 1
    # when
    requester_client.patch(path, {"is_active": True}, format="json")
    send_now(endpoint["id"])
    # then
    assert len(receiver.at("/hook")) == 2
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_deliveries_filter_by_status_and_event(requester_client, requester, receiver):
    # given: two events of one object (so sent in order); the receiver takes the first and
    # refuses the second
    endpoint = register(requester_client, receiver.url())
    receiver.script("/hook", Reply(200), Reply(500))
    emit(requester.organization.pk, key="task:1")
    emit(requester.organization.pk, key="task:1")
    send_now(endpoint["id"])
    first, second = Event.objects.order_by("pk")
    path = f"{ENDPOINTS_URL}/{endpoint['id']}/deliveries"
    # when
    succeeded = requester_client.get(path, {"status": "succeeded"}).json()["results"]
    pending = requester_client.get(path, {"status": "pending"}).json()["results"]
    of_second = requester_client.get(path, {"event_id": second.public_id}).json()["results"]
    bad_status = requester_client.get(path, {"status": "lost"})
    # then
    assert [d["event_id"] for d in succeeded] == [first.public_id]
    assert [d["event_id"] for d in pending] == [second.public_id]
    assert [d["event_id"] for d in of_second] == [second.public_id]
    assert bad_status.status_code == 400 and list(bad_status.json()["error"]["fields"]) == ["status"]


def test_the_events_list_shows_each_event_as_delivered_and_filters_by_type_and_time(
    requester_client, requester, make_requester
):
    # given: a subscribed endpoint, events of two types, one old; another organization's event
    register(requester_client, "http://127.0.0.1:9/hooks")
    emit(requester.organization.pk, "task.completed", id=1)
    emit(requester.organization.pk, "assignment.approved", id=2)
    emit(requester.organization.pk, "task.completed", id=3)
    old = Event.objects.order_by("pk").first()
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    other = make_requester()
    register(client_with(other.api_key), "http://127.0.0.1:9/theirs")
    emit(other.organization.pk, "task.completed", id=99)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    # when
    everything = requester_client.get(EVENTS_URL).json()["results"]
    completed = requester_client.get(EVENTS_URL, {"type": "task.completed"}).json()["results"]
    recent = requester_client.get(EVENTS_URL, {"since": since}).json()["results"]
    # then
    mine = Event.objects.filter(organization=requester.organization).order_by("pk")
    assert everything == [json.loads(event.body) for event in mine]
    assert [event["data"]["id"] for event in everything] == [1, 2, 3]
    assert set(everything[0]) == {"id", "type", "created", "data"}
    assert [event["data"]["id"] for event in completed] == [1, 3]
    assert [event["data"]["id"] for event in recent] == [2, 3]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"since": "yesterday"}, "since"), ({"since": "2026-12-05T16:00:00"}, "since"), ({"type": "task.done"}, "type")],
)
def test_a_bad_events_filter_is_a_400_naming_it(requester_client, query, field):
    response = requester_client.get(EVENTS_URL, query)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_one_event_is_read_by_its_id_and_another_organizations_is_a_404(requester_client, requester, make_requester):
    # given
    register(requester_client, "http://127.0.0.1:9/hooks")
    emit(requester.organization.pk, id=5)
    event = Event.objects.get()
    other = client_with(make_requester().api_key)
    # when
    mine = requester_client.get(f"{EVENTS_URL}/{event.public_id}")
    theirs = other.get(f"{EVENTS_URL}/{event.public_id}")
    redeliver_theirs = other.post(f"{EVENTS_URL}/{event.public_id}/redeliver")
    # then
    assert mine.status_code == 200 and mine.json() == json.loads(event.body)
    assert (theirs.status_code, redeliver_theirs.status_code) == (404, 404)
    assert requester_client.get(f"{EVENTS_URL}/evt_000000000000000000000000").status_code == 404


# --- redelivery ----------------------------------------------------------------------------


def test_redelivering_an_event_sends_the_same_bytes_again(requester_client, requester, receiver):
    # given: an event delivered once
    endpoint = register(requester_client, receiver.url())
    emit(requester.organization.pk)
    send_now(endpoint["id"])
    event = Event.objects.get()
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED
    # when
    response = requester_client.post(f"{EVENTS_URL}/{event.public_id}/redeliver")
    # then
    assert response.status_code == 202 and response.json() == {"redelivered": 1}
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    send_now(endpoint["id"])
    assert [received.body for received in receiver.at("/hook")] == [event.body.encode()] * 2
    delivery = requester_client.get(f"{ENDPOINTS_URL}/{endpoint['id']}/deliveries").json()["results"][0]
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)


def test_redelivering_an_event_to_one_endpoint(requester_client, requester, receiver, make_requester):
    # given: two endpoints got the event
    first = register(requester_client, receiver.url())
    second = register(requester_client, receiver.url("/second"))
    emit(requester.organization.pk)
    send_now(first["id"])
    send_now(second["id"])
    event = Event.objects.get()
    theirs = register(client_with(make_requester().api_key), receiver.url())
    path = f"{EVENTS_URL}/{event.public_id}/redeliver"
    # when
    response = requester_client.post(path, {"endpoint_id": second["id"]}, format="json")
    not_mine = requester_client.post(path, {"endpoint_id": theirs["id"]}, format="json")
    bad = requester_client.post(path, {"endpoint_id": "2"}, format="json")
    # then
    assert response.status_code == 202 and response.json() == {"redelivered": 1}
    statuses = dict(Delivery.objects.values_list("endpoint_id", "status"))
    assert statuses == {first["id"]: "succeeded", second["id"]: "pending"}
    assert not_mine.status_code == 400 and list(not_mine.json()["error"]["fields"]) == ["endpoint_id"]
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["endpoint_id"]
    assert Delivery.objects.filter(endpoint_id=theirs["id"]).count() == 0


def test_redelivering_to_a_disabled_endpoint_is_a_409(requester_client, requester, receiver):
    # given
    endpoint = register(requester_client, receiver.url())
    emit(requester.organization.pk)
    send_now(endpoint["id"])
    event = Event.objects.get()
    requester_client.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", {"is_active": False}, format="json")
    # when
    one = requester_client.post(
        f"{EVENTS_URL}/{event.public_id}/redeliver", {"endpoint_id": endpoint["id"]}, format="json"
    )
    since = requester_client.post(
        f"{ENDPOINTS_URL}/{endpoint['id']}/redeliver", {"since": "2026-01-01T00:00:00Z"}, format="json"
    )
    # then
    assert (one.status_code, since.status_code) == (409, 409)
    assert one.json()["error"]["code"] == since.json()["error"]["code"] == "webhook_endpoint_disabled"
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_redelivering_everything_since_a_time(requester_client, requester, receiver):
    # given: three events delivered, the first two days old
    endpoint = register(requester_client, receiver.url())
    for n in range(3):
        emit(requester.organization.pk, key=f"task:{n}", id=n)
    send_now(endpoint["id"])
    oldest = Event.objects.order_by("pk").first()
    Event.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    # when
    response = requester_client.post(f"{ENDPOINTS_URL}/{endpoint['id']}/redeliver", {"since": since}, format="json")
    # then
    assert response.status_code == 202 and response.json() == {"redelivered": 2}
    send_now(endpoint["id"])
    sent = [json.loads(r.body)["data"]["id"] for r in receiver.at("/hook")]
    # (different objects' events may be in flight together, so each round in any order)
    assert (sorted(sent[:3]), sorted(sent[3:])) == ([0, 1, 2], [1, 2])


def test_redelivering_since_a_time_sends_only_the_types_the_endpoint_subscribes_to(
    requester_client, requester, receiver
):
    # given: an endpoint for completed tasks, another for everything; events of two types
    tasks_only = register(requester_client, receiver.url(), ["task.completed"])
    register(requester_client, receiver.url("/all"))
    emit(requester.organization.pk, "task.completed", key="task:1", id=1)
    emit(requester.organization.pk, "assignment.approved", key="assignment:1", id=2)
    send_now(tasks_only["id"])
    assert len(receiver.at("/hook")) == 1
    # when
    response = requester_client.post(
        f"{ENDPOINTS_URL}/{tasks_only['id']}/redeliver", {"since": "2026-01-01T00:00:00Z"}, format="json"
    )
    # then
    assert response.status_code == 202 and response.json() == {"redelivered": 1}
    send_now(tasks_only["id"])
    assert [json.loads(r.body)["type"] for r in receiver.at("/hook")] == ["task.completed", "task.completed"]


@pytest.mark.parametrize("since", ["2026-13-01T00:00:00Z", "2026-12-01T00:00:00", 1733414400, None])
def test_a_bad_since_is_a_400_naming_it(requester_client, since):
    endpoint = register(requester_client, "http://127.0.0.1:9/hooks")
    response = requester_client.post(f"{ENDPOINTS_URL}/{endpoint['id']}/redeliver", {"since": since}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["since"]


def test_deleting_an_endpoint_deletes_its_delivery_log_and_keeps_the_events(requester_client, requester, receiver):
    # given
    endpoint = register(requester_client, receiver.url())
    emit(requester.organization.pk)
    send_now(endpoint["id"])
    # when
    requester_client.delete(f"{ENDPOINTS_URL}/{endpoint['id']}")
    # then
    assert Delivery.objects.count() == 0 and WebhookEndpoint.objects.count() == 0
    assert len(requester_client.get(EVENTS_URL).json()["results"]) == 1
