"""The request id of the work in hand: an HTTP request, a websocket message, a Celery job.

The id lives in a context variable, so it follows the work across ``await``s, into the threads
``sync_to_async`` runs Django on (they copy the context) and into every log line written
meanwhile (``logs.RequestIdFilter``). An HTTP request gets one ``RequestContext``; a websocket
connection gets one too, whose ``request_id`` is renumbered for each message it receives
(``<connection id>.<n>``), so a connection's lines share a prefix and each message's lines
share an id.
"""

from __future__ import annotations

import contextvars
import os
import re

# What an incoming X-Request-ID may be (a load balancer's or a client's): printable, short, no
# spaces or quotes, so it is safe in a header, a log line and a Celery header as it is.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


class RequestContext:
    """Mutable on purpose: a websocket connection's context is shared by the tasks it spawns,
    and each new message renumbers it in place."""

    __slots__ = ("request_id",)

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("groundwork_request", default=None)


def new_request_id() -> str:
    """16 hex characters: unique enough to find one request's lines among a day's."""
    return os.urandom(8).hex()


def request_id_from(header_value: bytes | str | None) -> str:
    """The incoming id when it is sane, else a new one (a bad id is replaced, never refused)."""
    if header_value:
        value = header_value.decode("latin-1") if isinstance(header_value, bytes) else header_value
        if SANE_REQUEST_ID.fullmatch(value):
            return value
    return new_request_id()


def current_request_id() -> str | None:
    context = _current.get()
    return None if context is None else context.request_id


def bind(request_id: str) -> contextvars.Token:
    """Make ``request_id`` the current one; ``unbind(token)`` restores the one before."""
    return _current.set(RequestContext(request_id))


def bind_context(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)
