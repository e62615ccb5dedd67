"""The request body limit, enforced while the body is read (ASGI middleware for HTTP).

Django's ``ASGIHandler`` reads a whole body into a temporary file before any middleware runs,
so a size check inside Django comes after the reading. This wrapper sits between the server and
Django: a declared ``Content-Length`` over ``MAX_REQUEST_BODY_BYTES`` is refused with the JSON
413 before a byte of the body is read, and a body without a declared length (chunked) is read
only up to the limit, then refused the same way. Both refusals carry ``Connection: close`` so
the server drops the connection instead of draining the rest of the upload.

A chunked body within the limit is handed to Django with its ``Content-Length`` set: Django
and DRF take a request without one as having no body at all.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

from .errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Wraps an ASGI application; only ``http`` scopes are touched."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MAX_REQUEST_BODY_BYTES
        headers = scope.get("headers", [])
        declared = [value for name, value in headers if name.lower() == b"content-length"]
        chunked = any(name.lower() == b"transfer-encoding" for name, _ in headers)
        too_large = f"the request body is larger than {limit} bytes"
        if declared and not chunked:
            if len(set(declared)) > 1 or not declared[0].strip().isdigit():
                await _refuse(send, 400, "invalid", "Content-Length is not one number")
                return
            if int(declared[0]) > limit:
                await _refuse(send, 413, "too_large", too_large)  # nothing read
                return
            await self.app(scope, receive, send)  # the server reads no more than declared
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away mid-body: there is no one to answer
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await _refuse(send, 413, "too_large", too_large)  # stops reading here
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        kept = [
            (name, value) for name, value in headers if name.lower() not in (b"content-length", b"transfer-encoding")
        ]
        scope = {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)
