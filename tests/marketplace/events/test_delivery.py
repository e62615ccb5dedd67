"""Delivery to a real receiver on 127.0.0.1: retries until a 2xx, exactly once; 410 disables;
redirects are not followed; a dead receiver does not hold up another; order per object;
an endpoint failing for the whole retry period is disabled and its admins emailed; a URL
whose address is refused fails its attempts saying why; redelivery."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.utils import timezone

from marketplace.events.delivery import retry_delay_seconds
from marketplace.events.outbox import record_event
from marketplace.events.redelivery import event_redeliver, events_redeliver_since
from marketplace.models import Delivery, DeliveryAttempt, Event, Membership

from .conftest import deliver_until, make_endpoint, run_nudges
from .receiver import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def emit(organization_id: int, key: str = "task:1", event_type: str = "task.completed", **data: object) -> str:
    with transaction.atomic():
        record_event(
            organization_id=organization_id, event_type=event_type, data={"key": key, **data}, ordering_key=key
        )
    return Event.objects.order_by("-id").values_list("public_id", flat=True).first()


def test_three_failures_then_success_arrive_once_with_every_attempt_logged(requester, receiver):
    # given: a receiver that fails three times (500, 503, a slow answer past the timeout), then works
    receiver.script("/hook", Reply(500, body=b"boom"), Reply(503), Reply(200, delay_seconds=3), Reply(204))
    endpoint, _ = make_endpoint(requester.organization, receiver.url())

    # when
    event_id = emit(requester.organization.pk)
    delivery = Delivery.objects.filter(endpoint=endpoint)
    assert deliver_until(lambda: delivery.filter(status="succeeded").exists(), timeout=30)

    # then: four requests of the same bytes; the 2xx one is the only one that counted
    requests = receiver.wait_for(4)
    assert len(requests) == 4
    assert {r.body for r in requests} == {Event.objects.get(public_id=event_id).body.encode()}
    assert [r.headers["groundwork-delivery-attempt"] for r in requests] == ["1", "2", "3", "4"]
    assert {json.loads(r.body)["id"] for r in requests} == {event_id}
    attempts = list(DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).order_by("started_at"))
    assert [a.status_code for a in attempts] == [500, 503, None, 204]
    assert attempts[0].response_excerpt == "boom"
    assert "timed out" in attempts[2].error
    assert (delivery.get().attempts, delivery.get().last_status_code) == (4, 204)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_active
    time.sleep(0.5)
    webhooks_sweep_once()
    assert len(receiver.at("/hook")) == 4  # nothing more after the success


def webhooks_sweep_once() -> None:
    deliver_until(lambda: True, timeout=0)


def test_a_redirect_is_not_followed(requester, receiver):
    # given: a receiver answering 302 towards another of its paths
    receiver.script("/hook", Reply(302, headers={"Location": receiver.url("/elsewhere")}))
    endpoint, _ = make_endpoint(requester.organization, receiver.url())

    # when
    emit(requester.organization.pk)
    assert deliver_until(lambda: DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).exists())

    # then: a failed attempt, retried at the same URL; the redirect target never asked
    assert receiver.wait_for(2)
    assert receiver.at("/elsewhere") == []
    first = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).earliest("started_at")
    assert (first.status_code, first.error) == (302, "")
    assert Delivery.objects.get(endpoint=endpoint).status in ("pending", "succeeded")


def test_410_disables_the_endpoint_cancels_the_rest_and_tells_the_admins(requester, receiver):
    # given
    admin = Membership.objects.get(organization=requester.organization, role="admin").user
    get_user_model().objects.filter(pk=admin.pk).update(email="admin@acme.test")
    receiver.script("/hook", Reply(410))
    endpoint, _ = make_endpoint(requester.organization, receiver.url())
    emit(requester.organization.pk, key="task:1")
    emit(requester.organization.pk, key="task:1")  # waits behind the first (same object)

    # when
    assert deliver_until(lambda: not type(endpoint).objects.get(pk=endpoint.pk).is_active)

    # then
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (False, "gone")
    assert sorted(Delivery.objects.filter(endpoint=endpoint).values_list("status", flat=True)) == [
        "cancelled",
        "failed",
    ]
    assert len(receiver.at("/hook")) == 1
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]  # Django's locmem backend: the outside boundary
    assert "410" in mail.outbox[0].body and endpoint.url in mail.outbox[0].body
    # and no event is written for it any more
    emit(requester.organization.pk)
    assert Event.objects.count() == 2


def test_a_receiver_that_never_answers_does_not_delay_another(make_requester, receiver):
    # given: two organizations, one receiver hanging for longer than the timeout
    slow, fast = make_requester(), make_requester()
    receiver.script("/slow", *[Reply(200, delay_seconds=30)] * 5)
    make_endpoint(slow.organization, receiver.url("/slow"))
    make_endpoint(fast.organization, receiver.url("/fast"))

    # when: the slow one's events go first
    for n in range(3):
        emit(slow.organization.pk, key=f"task:{n}")
    started = time.monotonic()
    deliver_until(lambda: bool(receiver.at("/slow")), timeout=5)
    for n in range(5):
        emit(fast.organization.pk, key=f"task:{n}")
    assert deliver_until(lambda: len(receiver.at("/fast")) == 5, timeout=10)
    fast_done = time.monotonic() - started

    # then: the fast receiver had everything well before the slow one's first timeout (2 s here)
    assert len(receiver.at("/slow")) == 3  # one try per object, then the endpoint rests
    assert fast_done < 2.0, fast_done


def test_events_of_one_object_arrive_in_order_even_across_retries(requester, receiver):
    # given: the first two requests fail (whichever object's event they carry)
    receiver.script("/hook", Reply(500), Reply(500))
    make_endpoint(requester.organization, receiver.url())

    # when
    ids = [emit(requester.organization.pk, key="task:1", n=0)]
    ids += [emit(requester.organization.pk, key="task:2", n=0)]
    ids += [emit(requester.organization.pk, key="task:1", n=n) for n in (1, 2)]
    ids += [emit(requester.organization.pk, key="task:2", n=n) for n in (1, 2)]
    assert deliver_until(lambda: Delivery.objects.filter(status="succeeded").count() == 6, timeout=20)

    # then: per object, an event is never sent before an earlier one succeeded (a retry
    # repeats it, a later one never jumps ahead), and each arrived
    delivered = [json.loads(r.body) for r in receiver.at("/hook")]
    assert len(delivered) == 8  # 6 events, 2 of their attempts failed
    for key in ("task:1", "task:2"):
        sent = [d["data"]["n"] for d in delivered if d["data"]["key"] == key]
        assert sent == sorted(sent) and set(sent) == {0, 1, 2}, (key, sent)


def test_an_endpoint_failing_for_the_whole_retry_period_is_disabled_and_admins_emailed(requester, receiver, settings):
    # given: a retry period of one second, a receiver always answering 500
    settings.WEBHOOK_RETRY_PERIOD_SECONDS = 1
    admin = Membership.objects.get(organization=requester.organization, role="admin").user
    get_user_model().objects.filter(pk=admin.pk).update(email="ops@acme.test")
    receiver.default = Reply(500)
    endpoint, _ = make_endpoint(requester.organization, receiver.url())

    # when
    emit(requester.organization.pk)
    assert deliver_until(lambda: not type(endpoint).objects.get(pk=endpoint.pk).is_active, timeout=20)

    # then
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "failing"
    assert Delivery.objects.get(endpoint=endpoint).status == "failed"
    assert Delivery.objects.get(endpoint=endpoint).attempts >= 2
    assert [m.to for m in mail.outbox] == [["ops@acme.test"]]


def test_an_address_refused_at_send_time_fails_the_attempt_saying_why(requester, receiver, settings):
    # given: an endpoint registered while loopback was allowed; the operator closes it since
    endpoint, _ = make_endpoint(requester.organization, receiver.url())
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    # when
    emit(requester.organization.pk)
    assert deliver_until(lambda: DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).exists())

    # then: nothing was sent; the log says why
    attempt = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).earliest("started_at")
    assert attempt.status_code is None
    assert "127.0.0.1, a loopback address" in attempt.error
    assert receiver.at("/hook") == []
    assert Delivery.objects.get(endpoint=endpoint).status == "pending"


def test_redelivery_sends_the_same_bytes_again(requester, receiver):
    # given: two events delivered
    endpoint, _ = make_endpoint(requester.organization, receiver.url())
    first = emit(requester.organization.pk, key="task:1")
    emit(requester.organization.pk, key="task:2")
    assert deliver_until(lambda: len(receiver.at("/hook")) == 2)

    # when: one event again (its nudge alone sends it: no sweep), then everything since before both
    run_nudges()
    scheduled_one = event_redeliver(event=Event.objects.get(public_id=first))
    assert run_nudges() == 1
    assert len(receiver.wait_for(3)) == 3
    scheduled_all = events_redeliver_since(
        organization=requester.organization, since=timezone.now() - timedelta(minutes=1), endpoint=endpoint
    )
    # (the receiver sees a request before its sender records the answer: wait for both)
    assert deliver_until(
        lambda: (
            len(receiver.at("/hook")) == 5 and set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
        )
    )

    # then
    bodies = [r.body for r in receiver.at("/hook")]
    assert (scheduled_one, scheduled_all) == (1, 2)
    assert bodies[2] == Event.objects.get(public_id=first).body.encode()  # the first two went side by side
    assert sorted(bodies[3:]) == sorted(bodies[:2])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_retry_delays_grow_with_jitter_and_the_first_comes_within_a_minute(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS = 3600
    assert all(15 <= retry_delay_seconds(1) <= 30 for _ in range(100))
    assert all(60 <= retry_delay_seconds(3) <= 120 for _ in range(100))
    assert all(1800 <= retry_delay_seconds(20) <= 3600 for _ in range(100))
    assert len({retry_delay_seconds(5) for _ in range(20)}) > 1
