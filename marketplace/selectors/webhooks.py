"""Reads of a requester's webhooks: its endpoints, their deliveries with the attempt log, and
its events (docs/webhooks.md)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from ..models import Delivery, DeliveryAttempt, Event, Organization, WebhookEndpoint

# A delivery retried for three days has ~80 attempts: a page shows the latest ones, and
# ``attempts`` says how many there were in all.
ATTEMPTS_SHOWN = 20


def organization_webhook_endpoints(organization: Organization) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints, active and disabled, unordered: a paginated list orders them."""
    return WebhookEndpoint.objects.filter(organization=organization)


def latest_attempts() -> Prefetch:
    """Prefetches each delivery's latest ``ATTEMPTS_SHOWN`` attempts, oldest first, into
    ``shown_attempts`` (one query for the page, ranked by a window function)."""
    ranked = DeliveryAttempt.objects.annotate(
        newness=Window(RowNumber(), partition_by=[F("delivery_id")], order_by=[F("started_at").desc(), F("id").desc()])
    ).filter(newness__lte=ATTEMPTS_SHOWN)
    return Prefetch("attempt_log", queryset=ranked.order_by("started_at", "id"), to_attr="shown_attempts")


def endpoint_deliveries(
    endpoint: WebhookEndpoint, *, status: str | None = None, event_id: str | None = None
) -> QuerySet[Delivery]:
    """The endpoint's deliveries (in ``status``, of the event whose public id is ``event_id``,
    when given) with their events and latest attempts (``shown_attempts``), unordered: a
    paginated list orders them."""
    deliveries = Delivery.objects.filter(endpoint=endpoint).select_related("event").prefetch_related(latest_attempts())
    if status is not None:
        deliveries = deliveries.filter(status=status)
    if event_id is not None:
        deliveries = deliveries.filter(event__public_id=event_id)
    return deliveries


def recent_endpoint_deliveries(endpoint: WebhookEndpoint, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest ``limit`` deliveries, newest first, as ``endpoint_deliveries``
    gives them (the portal's endpoint page)."""
    return list(endpoint_deliveries(endpoint).order_by("-id")[:limit])


def organization_events(
    organization: Organization, *, event_type: str | None = None, since: datetime | None = None
) -> QuerySet[Event]:
    """The organization's events (of ``event_type``, created at or after ``since``, when
    given), unordered: a paginated list orders them. Events are kept
    ``WEBHOOK_EVENT_RETENTION_SECONDS``, and only those some endpoint subscribed to were written."""
    events = Event.objects.filter(organization=organization)
    if event_type is not None:
        events = events.filter(type=event_type)
    if since is not None:
        events = events.filter(created_at__gte=since)
    return events


def webhook_endpoints_overview(organization: Organization) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints, oldest first, each with ``pending_count`` (deliveries
    waiting to be sent or retried), ``failed_count`` (deliveries that gave up) and
    ``last_delivered_at`` (its latest success, ``None`` before the first): the portal's list."""
    return (
        organization_webhook_endpoints(organization)
        .annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            last_delivered_at=Max("deliveries__delivered_at"),
        )
        .order_by("id")
    )


def endpoint_delivery_counts(endpoint: WebhookEndpoint) -> dict[str, int]:
    """The endpoint's deliveries per status (every status present, 0 when none)."""
    counts = dict.fromkeys(Delivery.Status.values, 0)
    rows = Delivery.objects.filter(endpoint=endpoint).order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
