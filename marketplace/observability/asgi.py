"""Every HTTP request and websocket message, timed, counted and logged with its request id.

``ObservedHTTP`` wraps the whole HTTP application (outside the body limit, so a refused upload
is seen too): it takes the request id from a sane ``X-Request-ID`` or makes one, binds it for
everything the request does (``context``), returns it in the ``X-Request-ID`` response header,
and as the response's last byte is sent (before it: a client holding its answer finds it
counted) counts it by route template and status, observes its latency and writes the request
line. The route template comes from ``RouteLabelMiddleware`` (Django
resolved the URL anyway); a response Django did not route (a static file, a refusal before
Django) is labelled by resolving its path here, ``<static>`` or ``<unmatched>``: never the raw
path, so the series stay as many as the URL patterns.

``ObservedWebsocket`` does the same for worker sockets: a connection id (from the handshake's
``X-Request-ID`` or new) renumbered ``<id>.<n>`` for each message received, so the lines the
consumer writes while it handles message n carry that id; the open sockets are a gauge.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.urls import Resolver404, resolve

from . import metrics
from .context import RequestContext, bind, bind_context, request_id_from, unbind

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXCHANGE_KEY = "groundwork.exchange"  # the scope key of the request's ``Exchange``
REQUEST_ID_HEADER = b"x-request-id"
# Probes and scrapes come every few seconds: their lines only at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

request_logger = logging.getLogger("groundwork.request")
websocket_logger = logging.getLogger("groundwork.websocket")


class Exchange:
    """What Django tells the wrapper about a request it answered. Shared through the scope by
    reference, so it survives the scope copies made between the server and Django."""

    __slots__ = ("route",)

    def __init__(self) -> None:
        self.route: str | None = None


class RouteLabelMiddleware:
    """Django middleware (first in ``MIDDLEWARE``): hands the resolved URL pattern's template
    (``api/v1/tasks/<id:task_id>``) to ``ObservedHTTP`` once the view has answered. Sync or
    async as the chain is, so it never adds a thread hop under ASGI."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        response = self.get_response(request)
        self._hand_over(request)
        return response

    async def __acall__(self, request: Any) -> Any:
        response = await self.get_response(request)
        self._hand_over(request)
        return response

    @staticmethod
    def _hand_over(request: Any) -> None:
        match = request.resolver_match
        exchange = getattr(request, "scope", {}).get(EXCHANGE_KEY)
        if exchange is not None and match is not None:
            exchange.route = route_label(match.route)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


# The templates of the routes answered before Django (api/views/worker/hot.py), by operation.
OPERATION_ROUTES = {operation: route for route, operation in metrics.REST_OPERATIONS.items()}


def mark_operation(scope: Scope, operation: str) -> None:
    """Say which route a layer before Django answered (``claim``, ``submit``): resolving its
    path here instead would cost tens of microseconds on the hot path."""
    exchange = scope.get(EXCHANGE_KEY)
    if exchange is not None:
        exchange.route = OPERATION_ROUTES[operation]


def route_label(route: str | None) -> str:
    """A URL pattern's template as a label; the catch-all JSON 404 (``^``) is ``<unmatched>``."""
    return route if route and route != "^" else "<unmatched>"


def route_of_path(path: str) -> str:
    """The label of a response Django did not route: its URL pattern when one matches (the
    catch-all 404 is ``<unmatched>``), ``<static>`` for static files."""
    if path.startswith(settings.STATIC_URL):
        return "<static>"
    try:
        return route_label(resolve(path).route)
    except Resolver404:
        return "<unmatched>"


class ObservedHTTP:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = request_id_from(_header(scope, REQUEST_ID_HEADER))
        token = bind(request_id)
        exchange = scope[EXCHANGE_KEY] = Exchange()
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # when the application fails before it answers, the server answers 500
        observed = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # counted before the last byte leaves: a client that has its answer finds it counted
                observed = True
                _observe(scope, exchange, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            if not observed:
                _observe(scope, exchange, status, time.perf_counter() - started)
            unbind(token)


def _observe(scope: Scope, exchange: Exchange, status: int, seconds: float) -> None:
    """Count and time one request, and write its line."""
    path = scope.get("path", "")
    route = exchange.route or route_of_path(path)
    method = scope.get("method", "")
    metrics.http_requests.labels(route, method, status).inc()
    metrics.http_request_duration.labels(route, method).observe(seconds)
    metrics.count_rest_operation(route, status, seconds)
    client = scope.get("client")
    client_text = f"{client[0]}:{client[1]}" if client else "-"
    request_logger.log(
        logging.DEBUG if path in QUIET_PATHS else logging.INFO,
        '%s - "%s %s HTTP/%s" %d %.1fms',
        client_text,
        method,
        path,
        scope.get("http_version", "1.1"),
        status,
        seconds * 1000,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client_text,
        },
    )


class ObservedWebsocket:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        connection_id = request_id_from(_header(scope, REQUEST_ID_HEADER))
        context = RequestContext(connection_id)
        token = bind_context(context)
        received, sent = metrics.websocket_messages.labels("received"), metrics.websocket_messages.labels("sent")
        state = {"messages": 0, "open": False}

        async def numbering_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                state["messages"] += 1
                context.request_id = f"{connection_id}.{state['messages']}"
                received.inc()
                if websocket_logger.isEnabledFor(logging.DEBUG):
                    size = len(message.get("text") or message.get("bytes") or "")
                    websocket_logger.debug("websocket message received (%d bytes)", size)
            return message

        async def counting_send(message: Message) -> None:
            kind = message["type"]
            if kind == "websocket.send":
                sent.inc()
                if websocket_logger.isEnabledFor(logging.DEBUG):
                    websocket_logger.debug("websocket message sent")
            elif kind == "websocket.accept":
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, connection_id.encode())]
                state["open"] = True
                metrics.websocket_connections.inc()
                websocket_logger.info("websocket connected: %s", scope.get("path", ""))
            await send(message)

        try:
            await self.app(scope, numbering_receive, counting_send)
        finally:
            if state["open"]:
                metrics.websocket_connections.dec()
                context.request_id = connection_id
                websocket_logger.info(
                    "websocket closed after %d messages, %.1fs",
                    state["messages"],
                    time.perf_counter() - started,
                    extra={"messages": state["messages"]},
                )
            unbind(token)
