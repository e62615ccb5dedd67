"""Inputs of a requester's webhook endpoints (``/api/v1/webhook-endpoints``) and of redelivery
(``POST /api/v1/events/{id}/redeliver``, ``POST /api/v1/webhook-endpoints/{id}/redeliver``).

Whether a URL may be called (its scheme, the addresses its host resolves to) is the service's
to check (``services.webhook_endpoints``): it reads the operator's settings and the DNS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from ..events.outbox import EVENT_TYPES
from ..models.events import ALL_EVENTS
from .base import Input
from .fields import Checked, Flag, StrictInt, Text, refuse

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500
DEFAULT_OVERLAP_SECONDS = 24 * 3600
MAX_OVERLAP_SECONDS = 7 * 24 * 3600

EVENTS_MESSAGE = f'must be a list of event types ({", ".join(EVENT_TYPES)}), or ["*"] for all'
TIME_MESSAGE = "must be an ISO-8601 time with its offset, e.g. 2026-12-05T16:00:00Z"

EVENTS_SHAPE = {
    "type": "array",
    "items": {"type": "string", "enum": [ALL_EVENTS, *EVENT_TYPES]},
    "minItems": 1,
    "uniqueItems": True,
    "description": 'The event types sent to the endpoint, or `["*"]` for every type (those added later too).',
}
URL_SHAPE = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_URL_LENGTH,
    "description": "An `https://` URL whose host resolves to public addresses only (docs/webhooks.md).",
}


def event_types(value: Any) -> list[str]:
    """``value`` as a subscription: a non-empty list of known event types without repeats, or
    ``["*"]`` alone."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise refuse(EVENTS_MESSAGE)
    unknown = [item for item in value if item not in EVENT_TYPES and item != ALL_EVENTS]
    if unknown:
        raise refuse(f"{unknown[0]!r} is not an event type: {EVENTS_MESSAGE}")
    if len(set(value)) != len(value):
        raise refuse("must not name an event type twice")
    if ALL_EVENTS in value and len(value) > 1:
        raise refuse('"*" already means every event type: send ["*"] alone')
    return list(value)


def parse_time(value: Any) -> datetime:
    """An ISO-8601 time with a UTC offset (``Z`` or ``+02:00``), timezone-aware; ``ValueError``
    otherwise (a time without an offset is ambiguous, so it is refused)."""
    if not isinstance(value, str):
        raise ValueError(TIME_MESSAGE)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(TIME_MESSAGE) from None
    if parsed.tzinfo is None:
        raise ValueError(TIME_MESSAGE)
    return parsed


def _time(value: Any) -> datetime:
    try:
        return parse_time(value)
    except ValueError as error:
        raise refuse(str(error)) from None


EventTypes = Annotated[list[str], Checked(event_types, EVENTS_SHAPE)]
WebhookUrl = Annotated[str, Text(MAX_URL_LENGTH, required=True, description=URL_SHAPE["description"])]
Description = Annotated[str, Text(MAX_DESCRIPTION_LENGTH)]


class WebhookEndpointCreate(Input):
    """Register a URL to receive your organization's events."""

    missing_messages: ClassVar[dict[str, str]] = {"events": EVENTS_MESSAGE}

    url: WebhookUrl
    events: EventTypes
    description: Description = ""


class WebhookEndpointUpdate(Input):
    """Change an endpoint: only the fields sent change."""

    url: Annotated[str | None, Text(MAX_URL_LENGTH, required=True, description=URL_SHAPE["description"])] = None
    events: Annotated[list[str] | None, Checked(event_types, EVENTS_SHAPE)] = None
    description: Annotated[str | None, Text(MAX_DESCRIPTION_LENGTH)] = None
    # false disables (nothing is sent, deliveries wait); true enables it again
    is_active: Annotated[bool | None, Flag()] = None


class WebhookSecretRotate(Input):
    """Replace the signing secret; the old one keeps signing for ``overlap_seconds``."""

    overlap_seconds: Annotated[
        int,
        StrictInt(0, MAX_OVERLAP_SECONDS, out_of_range=f"must be between 0 and {MAX_OVERLAP_SECONDS} (7 days)"),
    ] = DEFAULT_OVERLAP_SECONDS


class EventRedeliver(Input):
    """Send an event again: to every endpoint subscribed to it, or to ``endpoint_id`` only."""

    endpoint_id: Annotated[int | None, StrictInt(1, null_is_absent=True)] = None


class WebhookRedeliverSince(Input):
    """Send again every event the endpoint was sent since a time."""

    since: Annotated[datetime, Checked(_time, {"type": "string", "format": "date-time", "description": TIME_MESSAGE})]
