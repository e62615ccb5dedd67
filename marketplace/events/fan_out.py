"""Fan-out: each event becomes one ``Delivery`` per subscribed active endpoint of its
organization (created no later than the event), in chunks, skipping rows another process is
fanning out; and which endpoints have deliveries due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..locking import claimed_outbox_rows
from ..models import Delivery, Event, WebhookEndpoint

FAN_OUT_CHUNK = 1000


def retry_period() -> timedelta:
    """How long a delivery is retried from its first attempt (``WEBHOOK_RETRY_PERIOD_SECONDS``)."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_PERIOD_SECONDS)


@dataclass(frozen=True)
class FanOut:
    events: int  # fanned out by this call
    endpoint_ids: frozenset[int]  # that got deliveries


def events_fan_out(*, limit: int = FAN_OUT_CHUNK) -> FanOut:
    """Turn up to ``limit`` events not yet fanned out into their deliveries: one per active
    endpoint of the organization subscribed to the type and created no later than the event.
    Rows another process is fanning out are skipped (never waited on)."""
    with transaction.atomic():
        events = list(
            claimed_outbox_rows(Event.objects.filter(is_fanned_out=False).order_by("id")).only(
                "id", "organization_id", "type", "ordering_key", "created_at"
            )[:limit]
        )
        if not events:
            return FanOut(events=0, endpoint_ids=frozenset())
        endpoints: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id__in={event.organization_id for event in events}, is_active=True
        ).only("id", "organization_id", "events", "created_at"):
            endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
        now = timezone.now()
        deliveries = [
            Delivery(
                event_id=event.pk,
                endpoint_id=endpoint.pk,
                ordering_key=event.ordering_key,
                next_attempt_at=now,
                give_up_at=now + retry_period(),
            )
            for event in events
            for endpoint in endpoints.get(event.organization_id, [])
            if endpoint.is_subscribed_to(event.type) and endpoint.created_at <= event.created_at
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(is_fanned_out=True)
    return FanOut(events=len(events), endpoint_ids=frozenset(delivery.endpoint_id for delivery in deliveries))


def endpoints_with_due_deliveries(now: datetime) -> list[int]:
    """Active endpoints with a pending delivery whose time has come."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True)
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
