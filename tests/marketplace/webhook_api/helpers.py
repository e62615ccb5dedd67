"""Helpers of the webhook API tests: a real HTTP receiver on 127.0.0.1, endpoints registered
through the API, events written through the outbox and sent by the real sender."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from marketplace.events.delivery import endpoint_deliver_due, events_fan_out
from marketplace.events.outbox import record_event

ENDPOINTS_URL = "/api/v1/webhook-endpoints"
EVENTS_URL = "/api/v1/events"


@dataclass
class Receiver:
    """What the test server answers (``statuses``, one per request, then 200) and what it got."""

    url: str
    statuses: list[int] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    answer: bytes = b"thanks"


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """An HTTP server on a free port of 127.0.0.1, on a thread, for the block."""
    receiver = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.bodies.append(body)
            receiver.signatures.append(self.headers.get("Groundwork-Signature", ""))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", str(len(receiver.answer)))
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


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
