"""The hot worker endpoints, answered at the ASGI layer: ``POST /api/v1/worker/tasks/next`` and
``POST /api/v1/worker/assignments/{id}/submit`` with a worker token (docs/concurrency.md, "The
hot path").

A claim+submit cycle is two requests of a few milliseconds of database work each; Django's
handler, its middleware chain (two thread hops), URL resolution, DRF's request and its
serializers cost more than that. ``HotWorkerRoutes`` answers these two routes itself when the
request is the plain case (a bearer worker token, no ``Idempotency-Key``, no query string, a
JSON body if any, a host Django accepts, nothing to redirect) and hands everything else to
Django unchanged: other routes, the console's session, replays, refusals before the service
runs (an unknown token, a rate limit reached, a body that is not JSON: Django answers those as
it always did). What it does is what the views do, through the same calls: the same
principal (``resolve_bearer``), the same rate limit (``worker_action_wait``), the same
services (``dispatch.assignment_claim``, ``assignments.assignment_submit``), the same input
validation, the same serializers and error bodies, and the headers Django's middleware and
DRF add to these responses (a test compares them with Django's own answer).

The work runs on a pool of ``HOT_PATH_THREADS`` threads (each with its own database
connection from the pool), in the request's context (its request id reaches the logs).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from ....credentials import WORKER_TOKEN_PREFIX
from ....errors import DomainError
from ....inputs import validate
from ....inputs.assignments import AssignmentSubmit
from ....jsonbody import json_bytes, parse_json
from ....observability.asgi import mark_operation
from ....principals import WorkerPrincipal
from ....ratelimit import worker_action_wait
from ....services import assignments, dispatch
from ...authentication import resolve_bearer
from ...errors import error_body
from ...serializers.assignments import WorkerAssignmentSerializer, WorkerTaskSerializer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CLAIM_PATH = "/api/v1/worker/tasks/next"
SUBMIT_PATH = re.compile(r"/api/v1/worker/assignments/([1-9][0-9]{0,17})/submit")
logger = logging.getLogger(__name__)

# One instance each, reused: building a serializer's fields is most of its cost, and
# ``to_representation`` only reads them.
_TASK = WorkerTaskSerializer()
_ASSIGNMENT = WorkerAssignmentSerializer()


class _HandToDjango(Exception):
    """The request is not the plain case: Django answers it (nothing was changed)."""


class HotWorkerRoutes:
    """ASGI: the two hot worker routes answered here (see the module docstring); the rest to ``app``."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(
            max_workers=settings.GROUNDWORK["HOT_PATH_THREADS"], thread_name_prefix="hot-path"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope)
        headers = _plain_headers(scope) if route is not None else None
        if route is None or headers is None:
            return await self.app(scope, receive, send)
        body, replay = await _read_body(receive)
        try:
            status, payload = await self._run(route, headers, body)
        except _HandToDjango:
            return await self.app(scope, replay, send)
        mark_operation(scope, route[0])  # its route template, for the metrics and the request line
        await _respond(send, status, payload, _is_secure(scope, headers))

    async def _run(self, route: tuple[str, int | None], headers: dict[bytes, bytes], body: bytes):
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, context.run, _answer, route, headers, body)


def _route(scope: Scope) -> tuple[str, int | None] | None:
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("query_string"):
        return None
    path = scope["path"]
    if path == CLAIM_PATH:
        return ("claim", None)
    match = SUBMIT_PATH.fullmatch(path)
    return ("submit", int(match.group(1))) if match else None


def _plain_headers(scope: Scope) -> dict[bytes, bytes] | None:
    """The request's headers when it is the plain case this layer answers, else ``None``."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in headers or name == b"idempotency-key":
            return None  # a repeated header, or a replayable request: Django's
        headers[name] = value
    authorization = headers.get(b"authorization", b"")
    if not authorization[:7].lower() == b"bearer " or not authorization[7:].strip().startswith(
        WORKER_TOKEN_PREFIX.encode()
    ):
        return None
    accept = headers.get(b"accept")
    if accept is not None and not any(kind in accept for kind in (b"application/json", b"*/*")):
        return None
    content_type = headers.get(b"content-type", b"application/json")
    if not content_type.startswith(b"application/json"):
        return None
    try:
        length = int(headers.get(b"content-length", b"0"))
    except ValueError:
        return None
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if length > settings.MAX_REQUEST_BODY_BYTES or not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    if settings.SECURE_SSL_REDIRECT and not _is_secure(scope, headers):
        return None
    return headers


def _is_secure(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") == "https":
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy is None:
        return False
    name, expected = proxy
    header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
    return headers.get(header, b"").decode("latin-1").split(",")[0].strip() == expected


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that hands it to Django again if Django answers."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise asyncio.CancelledError  # the client went away
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _answer(route: tuple[str, int | None], headers: dict[bytes, bytes], body: bytes) -> tuple[int, object]:
    """On a pool thread: the response's status and JSON-able body (``_HandToDjango`` before
    anything is changed when Django must answer)."""
    try:
        secret = headers[b"authorization"][7:].decode("latin-1").strip()
        principal = resolve_bearer(secret)
        if not isinstance(principal, WorkerPrincipal) or worker_action_wait(principal.rate_limit_id):
            raise _HandToDjango
        kind, assignment_id = route
        try:
            if kind == "claim":
                assignment = dispatch.assignment_claim(worker=principal.worker)
                return (204, None) if assignment is None else (200, _TASK.to_representation(assignment))
            data = parse_json(body)
            submit = validate(AssignmentSubmit, data if isinstance(data, dict) else {})
            answered = assignments.assignment_submit(
                worker=principal.worker, assignment_id=assignment_id, answer=submit.answer
            )
            return 200, _ASSIGNMENT.to_representation(answered)
        except DomainError as error:
            if error.status == 429:
                raise _HandToDjango from error  # a service's own limit: its Retry-After is Django's to add
            return error.status, error_body(error.code, error.message, error.fields)
        except _HandToDjango:
            raise
        except Exception:
            logger.exception("Internal Server Error: %s", kind)
            return 500, error_body("server_error", "internal error; it has been logged")
    finally:
        close_old_connections()  # the connection back to the pool, as at the end of a Django request


def _security_headers(is_secure: bool) -> list[tuple[bytes, bytes]]:
    """What Django's ``SecurityMiddleware`` and ``XFrameOptionsMiddleware`` and DRF's view add
    to these responses."""
    headers = [(b"allow", b"POST, OPTIONS")]
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        text = policy if isinstance(policy, str) else ",".join(policy)
        headers.append((b"referrer-policy", text.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    if is_secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append((b"strict-transport-security", hsts.encode()))
    return headers


async def _respond(send: Send, status: int, payload: object, is_secure: bool) -> None:
    content = b"" if payload is None else json_bytes(payload)
    # DRF drops the content type of an empty body (a 204)
    headers = [(b"content-type", b"application/json")] if content else []
    headers += _security_headers(is_secure)
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="groundwork"'))
    headers.append((b"content-length", str(len(content)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
