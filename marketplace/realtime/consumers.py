"""The worker websocket, ``/ws/worker/`` (DESIGN.md "Worker websocket"; docs/realtime.md).

Handlers only: each message ``type`` maps to a handler (``WorkerConsumer.handlers``) that
calls the same services as REST on a database thread and sends the reply. The parts are
modules of their own: who is on the socket (``auth``), the database threads (``threads``),
the per-worker and per-socket rate limits (``marketplace.ratelimit``), the messages' declared
inputs (``marketplace.inputs.assignments``), the batching of claims
and submits (``batching``, over ``actions``), the ``error`` shape (``errors``) and the
per-process ``dispatcher`` that wakes waiting sockets. The claim is made only here, by the
consumer that owns the socket; what arrives from the dispatcher is only a nudge to try.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from ..errors import DomainError, InvalidInput
from ..inputs import validate
from ..inputs.assignments import PingMessage, ReadyMessage, ReturnMessage, SubmitMessage
from ..jsonbody import json_bytes, parse_json
from ..models import Worker
from ..ratelimit import RateLimited, socket_message_bucket
from . import actions, batching
from .auth import CLOSE_BAD_CREDENTIALS, socket_authenticate
from .dispatcher import ProcessDispatcher, get_dispatcher
from .errors import error_payload, ref_and_assignment_id, server_error, too_large
from .threads import answer_threads, on_database_thread

logger = logging.getLogger(__name__)


class WorkerConsumer(AsyncWebsocketConsumer):
    """One worker socket. State: ``standing_ref`` is set while a ``ready`` awaits its ``task``."""

    # Both set by ``connect`` before any message is read (a socket that fails to authenticate is
    # closed with neither); None until then, which ``receive`` and ``_forget`` check.
    worker: Worker = None  # type: ignore[assignment]
    dispatcher: ProcessDispatcher = None  # type: ignore[assignment]
    has_standing_request = False
    handlers: ClassVar[dict] = {}

    async def connect(self) -> None:
        await self.accept()
        worker = await on_database_thread(socket_authenticate)(
            headers=dict(self.scope.get("headers", [])), query_string=self.scope.get("query_string", b"")
        )
        if worker is None:
            await self.close(code=CLOSE_BAD_CREDENTIALS, reason="unknown, revoked or spent credentials")
            return
        self.worker = worker
        self.lock = asyncio.Lock()
        self.has_standing_request = False
        self.standing_ref: object = None
        # assignments this socket was sent as ``task`` and not yet told are over (at most the cap)
        self.live_assignment_ids: set[int] = set()
        self.recently_expired: collections.deque[int] = collections.deque(maxlen=64)
        self.message_bucket = socket_message_bucket()
        self.workteam_ids = await on_database_thread(actions.workteam_ids)(worker)
        self.dispatcher = await get_dispatcher()
        self.dispatcher.register(self)
        for payload in await on_database_thread(actions.live_task_payloads)(worker):
            self.live_assignment_ids.add(payload["assignment_id"])
            await self.send_json(payload)

    async def __call__(self, scope, receive, send):
        """Channels' ``AsyncConsumer.__call__`` for a consumer without a channel. No channel per
        socket: hints reach sockets through their process's dispatcher, one channel-layer
        message per process instead of one per connected worker. With the socket its one
        source, its frames are read and dispatched one after another in this task, where
        Channels' loop over sources made a task and an ``asyncio.wait`` for every frame."""
        self.scope, self.channel_layer, self.base_send = scope, None, send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:  # the socket closed (``websocket_disconnect``)
            pass
        finally:  # however the socket ends, the dispatcher must forget it
            self._forget()

    async def disconnect(self, code: int) -> None:
        # Live assignments stay live: a closed socket cancels nothing.
        self._forget()

    async def close_signed_out(self) -> None:
        """Close with 4401: the worker's token was rotated or revoked, or the worker deactivated,
        since this socket authenticated (found by the dispatcher's tick). Live assignments stay
        live, as with any closed socket."""
        self._forget()
        await self.close(code=CLOSE_BAD_CREDENTIALS, reason="credentials rotated or revoked; connect again")

    def _forget(self) -> None:
        self.has_standing_request = False
        if self.dispatcher is not None:
            self.dispatcher.unregister(self)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its ``aclose_old_connections`` before every message: that
        is a hop to Django's sync thread per frame, for connections this consumer never uses
        (its database work runs on the realtime threads, which release their own: ``threads``)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def send_json(self, payload: dict) -> None:
        await self.send(text_data=json_bytes(payload).decode())

    async def send_error(self, error: DomainError, ref: object = None, assignment_id: object = None) -> None:
        await self.send_json(error_payload(error, ref, assignment_id))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.worker is None:
            return
        if self.message_bucket.take():
            await self.send_error(RateLimited("too many messages on this socket; slow down"))
            return
        if text_data is None:
            await self.send_error(InvalidInput("send JSON text frames, not binary ones"))
            return
        if len(text_data) > settings.MAX_REQUEST_BODY_BYTES:
            await self.send_error(too_large())
            return
        try:
            message = parse_json(text_data)
        except InvalidInput as error:  # refused whole; its ref still says which request it was
            await self.send_error(error, *ref_and_assignment_id(text_data))
            return
        if not isinstance(message, dict):
            await self.send_error(InvalidInput("a message is a JSON object with a `type`"))
            return
        ref = message.get("ref")
        kind = message.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error(InvalidInput.for_field("type", "must be one of ready, submit, return, ping"), ref)
            return
        try:
            await handler(self, message, ref)
        except DomainError as error:
            await self.send_error(error, ref, message.get("assignment_id"))
        except OSError:
            # The client went away while we answered (uvicorn's ClientDisconnected is one): the
            # work it held stays in the database and is re-sent when it reconnects.
            logger.debug("worker socket: client gone during %s", kind)
        except Exception:  # a bug: say so, keep the socket (its state is the database's)
            logger.exception("worker socket: %s message failed", kind)
            await self.send_error(server_error(), ref, message.get("assignment_id"))

    # --- message handlers (registered in ``handlers`` below the class) ------------------------
    async def on_ping(self, message: dict, ref: object) -> None:
        validate(PingMessage, message)
        await self.send_json({"type": "pong", "ref": ref})

    async def on_ready(self, message: dict, ref: object) -> None:
        validate(ReadyMessage, message)
        # The claim reads memberships itself; ``workteam_ids`` only routes wake-ups, and the
        # dispatcher's timer refreshes it for waiting sockets.
        self.has_standing_request, self.standing_ref = True, ref
        await self.try_claim(client_asked=True)

    async def on_submit(self, message: dict, ref: object) -> None:
        submit = validate(SubmitMessage, message)
        assignment_id = submit.assignment_id
        await batching.submit(actions.SubmitRequest(self.worker, assignment_id, submit.answer))  # raises a refusal
        self.live_assignment_ids.discard(assignment_id)
        await self.send_json({"type": "ack", "assignment_id": assignment_id, "ref": ref})

    async def on_return(self, message: dict, ref: object) -> None:
        assignment_id = validate(ReturnMessage, message).assignment_id
        await on_database_thread(actions.return_one, answer_threads)(self.worker, assignment_id)
        self.live_assignment_ids.discard(assignment_id)
        await self.send_json({"type": "ack", "assignment_id": assignment_id, "ref": ref})

    # --- claiming --------------------------------------------------------------------------
    async def try_claim(self, *, client_asked: bool, pass_on: bool = False) -> None:
        """Claim for the standing ``ready``: send ``task``, or ``idle`` (first time) and wait."""
        async with self.lock:
            if not self.has_standing_request:
                return
            self.dispatcher.stop_waiting(self)
            try:
                payload = await batching.claim(actions.ClaimRequest(self.worker, count_against_limit=client_asked))
            except DomainError as error:  # at the cap, or rate-limited: the request is answered
                self.has_standing_request = False
                await self.send_error(error, self.standing_ref)
                return
            except Exception:  # the database is away: keep the request, the timer retries it
                self._wait_again()
                raise
            if payload is not None:
                self.has_standing_request = False
                self.live_assignment_ids.add(payload["assignment_id"])
                await self.send_json({**payload, "ref": self.standing_ref})
                if pass_on:
                    self.dispatcher.claimed(self)
                return
            if client_asked:
                await self.send_json({"type": "idle", "ref": self.standing_ref})
            self._wait_again()

    def _wait_again(self) -> None:
        if self.has_standing_request:  # not if the socket closed while the claim ran
            self.dispatcher.wait(self)

    def wake(self, *, pass_on: bool = False) -> None:
        """Called by the dispatcher: work may be open for this socket."""
        asyncio.ensure_future(self._wake(pass_on))

    async def _wake(self, pass_on: bool) -> None:
        try:
            await self.try_claim(client_asked=False, pass_on=pass_on)
        except Exception:  # the socket may have closed meanwhile
            logger.warning("wake-up claim failed", exc_info=True)

    def notify_expired(self, assignment_id: int) -> None:
        """Tell the client an assignment expired (once per socket for the ones it holds; a hint
        about one it never saw here, claimed over REST or elsewhere, is passed on as it comes)."""
        self.live_assignment_ids.discard(assignment_id)
        if assignment_id in self.recently_expired:  # the hint and the timer may both report it
            return
        self.recently_expired.append(assignment_id)
        asyncio.ensure_future(self.send_json({"type": "expired", "assignment_id": assignment_id}))

    def forget_assignment(self, assignment_id: int) -> None:
        """It ended another way (submitted or returned elsewhere): nothing to tell."""
        self.live_assignment_ids.discard(assignment_id)


WorkerConsumer.handlers = {
    "ready": WorkerConsumer.on_ready,
    "submit": WorkerConsumer.on_submit,
    "return": WorkerConsumer.on_return,
    "ping": WorkerConsumer.on_ping,
}
