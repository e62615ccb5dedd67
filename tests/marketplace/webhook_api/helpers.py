"""Helpers of the webhook API tests: endpoints registered through the API, events written
through the outbox and sent by the real sender, here and now (the receiver on 127.0.0.1 is
``tests.marketplace.events.receiver``'s)."""

from __future__ import annotations

from django.db import transaction

from marketplace.events.delivery import endpoint_deliver_due
from marketplace.events.fan_out import events_fan_out
from marketplace.events.outbox import record_event

ENDPOINTS_URL = "/api/v1/webhook-endpoints"
EVENTS_URL = "/api/v1/events"


def register(client, url: str, events: list[str] | None = None, **fields: object) -> dict:
    """An endpoint registered through the API (201 asserted): its body, with the secret."""
    response = client.post(ENDPOINTS_URL, {"url": url, "events": events or ["*"], **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def emit(organization_id: int, event_type: str = "task.completed", *, key: str = "task:1", **data: object) -> None:
    """One event written through the outbox, as a change's transaction writes it."""
    with transaction.atomic():
        record_event(organization_id=organization_id, event_type=event_type, data=data or {"id": 1}, ordering_key=key)


def send_now(endpoint_id: int) -> int:
    """Fan out what the outbox holds and send the endpoint's due deliveries, here and now."""
    events_fan_out()
    return endpoint_deliver_due(endpoint_id=endpoint_id)
