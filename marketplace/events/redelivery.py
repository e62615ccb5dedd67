"""Redelivery on a requester's request: one event again, or every event since a time.

A redelivered event is sent again with its original body and id (receivers deduplicate by
``id``), to the endpoints given, as a fresh delivery with a full retry period; it keeps its
place in its object's order (it is older than that object's later events, so it goes first).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Delivery, Event, Organization, WebhookEndpoint
from .background_jobs import deliver_webhooks
from .kick import kick_after_commit

CHUNK = 1000


def _targets(organization_id: int, endpoint: WebhookEndpoint | None) -> list[WebhookEndpoint]:
    if endpoint is not None:
        if endpoint.organization_id != organization_id:
            raise ValueError("the endpoint belongs to another organization")
        return [endpoint] if endpoint.is_active else []
    return list(WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True))


def _schedule(events: list[Event], endpoints: list[WebhookEndpoint], now: datetime) -> int:
    """Make each (event, endpoint) pair pending and due now (a new delivery, or the existing
    one opened again); an endpoint gets only the types it subscribes to, or all when named."""
    give_up_at = now + timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD_SECONDS)
    pairs = [(event, endpoint) for event in events for endpoint in endpoints]
    if not pairs:
        return 0
    Delivery.objects.bulk_create(
        [
            Delivery(
                event_id=event.pk,
                endpoint_id=endpoint.pk,
                ordering_key=event.ordering_key,
                next_attempt_at=now,
                give_up_at=give_up_at,
            )
            for event, endpoint in pairs
        ],
        ignore_conflicts=True,
    )
    reopened = 0
    for endpoint in endpoints:
        reopened += Delivery.objects.filter(endpoint=endpoint, event_id__in=[event.pk for event in events]).update(
            status=Delivery.Status.PENDING, next_attempt_at=now, give_up_at=give_up_at, last_error=""
        )
    for endpoint in endpoints:
        kick_after_commit(deliver_webhooks, endpoint.pk)
    return reopened


def event_redeliver(*, event: Event, endpoint: WebhookEndpoint | None = None) -> int:
    """Send ``event`` again to ``endpoint`` (whatever its subscriptions), or to every active
    endpoint of its organization subscribed to its type. Returns the deliveries scheduled
    (0 for a disabled endpoint: enable it first)."""
    with transaction.atomic():
        endpoints = [
            target
            for target in _targets(event.organization_id, endpoint)
            if endpoint is not None or target.is_subscribed_to(event.type)
        ]
        return _schedule([event], endpoints, timezone.now())


def events_redeliver_since(
    *, organization: Organization, since: datetime, endpoint: WebhookEndpoint | None = None
) -> int:
    """Send again every event of ``organization`` created at or after ``since`` (as far back as
    events are kept) to ``endpoint``, or to every active endpoint, each getting the types it
    subscribes to (a bulk replay never sends a receiver a type it did not ask for; one event is
    sent anywhere by ``event_redeliver``). Returns the deliveries scheduled."""
    total = 0
    last_id = 0
    while True:
        with transaction.atomic():
            events = list(
                Event.objects.filter(organization=organization, created_at__gte=since, pk__gt=last_id)
                .only("id", "type", "ordering_key", "organization_id")
                .order_by("id")[:CHUNK]
            )
            if not events:
                return total
            last_id = events[-1].pk
            now = timezone.now()
            targets = _targets(organization.pk, endpoint)
            for target in targets:
                wanted = [event for event in events if target.is_subscribed_to(event.type)]
                total += _schedule(wanted, [target], now)
