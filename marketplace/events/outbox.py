"""The outbox: events written in the transaction that makes the change they report.

``record_event`` is called inside the ``transaction.atomic()`` of the change; the event row
commits or rolls back with it, so an event exists exactly when its change does, and a process
that dies after the commit leaves the row for the sweep to deliver (docs/webhooks.md,
"Delivery"). Its body is serialised once, here: every delivery carries the same bytes.

Cost on the hot path (claim and submit): an organization with no active endpoint subscribed to
an event's type gets no row at all, decided from a per-process cache of its subscriptions that
lives ``settings.WEBHOOK_SUBSCRIPTION_CACHE_SECONDS`` (1 s; saving or deleting an endpoint
clears it in that process at once). So an endpoint is certain to receive the events of changes
committed from one cache lifetime after it was created or changed its ``events``; a subscribed
event costs one INSERT, and after the commit one nudge to the sender per transaction.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from ..models import Event, WebhookEndpoint
from ..models.events import ALL_EVENTS, ENDPOINT_CHANGE_LISTENERS
from .background_jobs import deliver_webhooks
from .kick import kick_after_commit

EVENT_TYPES = (
    "task.completed",
    "task.expired",
    "assignment.submitted",
    "assignment.returned",
    "assignment.expired",
    "assignment.approved",
    "assignment.rejected",
    "labeling_job.status_changed",
    "labeling_job.object_labeled",
    "appeal.created",
    "appeal.decided",
)

_subscriptions: dict[int, tuple[float, frozenset[str]]] = {}
_subscriptions_lock = threading.Lock()


def subscribed_event_types(organization_id: int) -> frozenset[str]:
    """The event types (``"*"`` for all) some active endpoint of the organization wants, as this
    process read them at most ``WEBHOOK_SUBSCRIPTION_CACHE_SECONDS`` ago."""
    now = time.monotonic()
    cached = _subscriptions.get(organization_id)
    if cached is not None and now - cached[0] < settings.WEBHOOK_SUBSCRIPTION_CACHE_SECONDS:
        return cached[1]
    types: set[str] = set()
    for wanted in WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True).values_list(
        "events", flat=True
    ):
        types.update(wanted)
    result = frozenset(types)
    with _subscriptions_lock:
        _subscriptions[organization_id] = (now, result)
    return result


def forget_subscriptions(organization_id: int | None = None) -> None:
    """Drop this process's cached subscriptions of an organization (all when ``None``)."""
    with _subscriptions_lock:
        if organization_id is None:
            _subscriptions.clear()
        else:
            _subscriptions.pop(organization_id, None)


ENDPOINT_CHANGE_LISTENERS.append(forget_subscriptions)


def wants_event(organization_id: int, event_type: str) -> bool:
    """Whether an event of this type for this organization would be written (so a caller can
    skip building its data)."""
    types = subscribed_event_types(organization_id)
    return event_type in types or ALL_EVENTS in types


def iso_utc(moment: datetime) -> str:
    """``2026-12-05T16:00:00.123456Z``: ISO-8601 in UTC, as events' ``created``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def record_event(
    *, organization_id: int, event_type: str, data: Mapping | Callable[[], Mapping], ordering_key: str
) -> None:
    """Write one event row in the CALLER'S transaction (call it inside the ``transaction.atomic()``
    that makes the change; outside one it raises ``RuntimeError``).

    The body ``{"id", "type", "created", "data"}`` is serialised and fixed now. ``data`` is the
    object as its ``GET`` returns it, or a callable making it (called only when the event is
    written). ``ordering_key`` names the object whose events are delivered in order
    (``"task:123"``, ``"labeling_job:7:object:12"``). Skipped, at no database cost once cached,
    when no active endpoint of the organization subscribes to ``event_type`` (module docstring).
    Delivery is nudged after commit and found by the periodic sweep anyway.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must be called inside the transaction that makes the change")
    if not wants_event(organization_id, event_type):
        return
    now = timezone.now()
    public_id = f"evt_{secrets.token_hex(12)}"
    payload = {
        "id": public_id,
        "type": event_type,
        "created": iso_utc(now),
        "data": dict(data() if callable(data) else data),
    }
    Event.objects.create(
        public_id=public_id,
        organization_id=organization_id,
        type=event_type,
        ordering_key=ordering_key[:200],
        body=json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False),
        created_at=now,
    )
    kick_after_commit(deliver_webhooks)
