"""Who is on a worker socket: the ``Authorization`` header, or a single-use ``?ticket=``
(DESIGN.md "Security": tokens never travel in URLs). Runs on a database thread."""

from __future__ import annotations

from urllib.parse import parse_qs

from ..api.authentication import resolve_bearer
from ..models import Worker
from ..principals import WorkerPrincipal
from ..services import workers

# The close code for unknown, revoked, rotated or spent credentials (docs/realtime.md).
CLOSE_BAD_CREDENTIALS = 4401


def socket_authenticate(*, headers: dict[bytes, bytes], query_string: bytes) -> Worker | None:
    """The worker the socket's credentials name, or ``None``. A header wins over a ticket; a
    ticket is spent by this call (``workers.websocket_ticket_redeem``)."""
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        principal = resolve_bearer(secret.strip()) if scheme.lower() == "bearer" else None
        return principal.worker if isinstance(principal, WorkerPrincipal) else None
    ticket = parse_qs(query_string.decode("latin-1")).get("ticket", [""])[0]
    return workers.websocket_ticket_redeem(ticket=ticket) if ticket else None
