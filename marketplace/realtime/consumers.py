"""The worker websocket, ``/ws/worker/`` (DESIGN.md "Worker websocket"; docs/realtime.md).

Thin: authenticate on connect, dispatch each message type to a handler that calls the same
services as REST on a database thread, render replies. The claim is made only here, by the
consumer that owns the socket; what arrives from the dispatcher is only a nudge to try. Claims
and submits go through the process's batchers (``batching.py``), which call the batched form
of the claim and submit services for the sockets waiting at the same moment; each socket gets
its own result and sends its own reply.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import time
import weakref
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs

from asgiref.sync import SyncToAsync
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections

from ..api.authentication import resolve_bearer
from ..api.ratelimit import take_token
from ..api.serializers import WorkerTaskSerializer
from ..errors import DomainError, InvalidInput
from ..jsonbody import parse_json
from ..models import Assignment, Worker
from ..principals import WorkerPrincipal
from ..selectors.workers import worker_live_assignments
from ..services import assignments, dispatch, workers
from .batching import Batcher
from .dispatcher import ProcessDispatcher, get_dispatcher

logger = logging.getLogger(__name__)

CLOSE_BAD_CREDENTIALS = 4401
# Database work runs on its own threads (not the one thread Django keeps for sync views), so
# sockets do not queue behind each other; the pool caps how many connections they hold.
# Answers (submit, return) get threads of their own, so an ack never queues behind a burst of
# claim attempts after a hint.
_claim_threads = ThreadPoolExecutor(
    max_workers=settings.GROUNDWORK["REALTIME_DATABASE_THREADS"], thread_name_prefix="gw-realtime-claim"
)
_answer_threads = ThreadPoolExecutor(
    max_workers=max(2, settings.GROUNDWORK["REALTIME_DATABASE_THREADS"] // 2), thread_name_prefix="gw-realtime-answer"
)


def on_database_thread(function, executor: ThreadPoolExecutor = _claim_threads):
    """Run ``function`` on a realtime database thread, its connection released afterwards.

    The release runs inside the call (not around it, as Channels' ``database_sync_to_async``
    does): with ``thread_sensitive=False`` the call runs in a copied context, where Django's
    connection lives, and a release outside it would see no connection and leave it open.
    """

    @functools.wraps(function)
    def call_and_release(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return SyncToAsync(call_and_release, thread_sensitive=False, executor=executor)


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class _Bucket:
    """This socket's own token bucket: a flood is refused before it costs a database call."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# --- what runs on database threads ------------------------------------------------------------
def _authenticate(headers: dict[bytes, bytes], query_string: bytes) -> Worker | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        principal = resolve_bearer(secret.strip()) if scheme.lower() == "bearer" else None
        return principal.worker if isinstance(principal, WorkerPrincipal) else None
    ticket = parse_qs(query_string.decode("latin-1")).get("ticket", [""])[0]
    return workers.websocket_ticket_redeem(ticket=ticket) if ticket else None


def _take_action_token(worker: Worker) -> None:
    """The per-worker limit REST applies to claims, submits and returns applies here too."""
    config = settings.GROUNDWORK
    wait = take_token(
        f"worker-actions:worker:{worker.pk}", rate=config["WORKER_RATE_PER_SECOND"], burst=config["WORKER_RATE_BURST"]
    )
    if wait:
        raise RateLimited(f"too many requests; retry in {wait:.1f} s")


def _task_payload(assignment: Assignment) -> dict:
    return {"type": "task", **WorkerTaskSerializer(assignment).data}


@dataclass(frozen=True)
class _ClaimRequest:
    worker: Worker
    count_against_limit: bool  # a client's ``ready`` counts against the action rate; a wake-up does not

    @property
    def batch_key(self) -> int:
        return self.worker.pk


def _claim_many(requests: list[_ClaimRequest]) -> list[dict | None | Exception]:
    """One claim for each request (of distinct workers) in one call of the claim service: the
    ``task`` payload, ``None`` (nothing open) or the error to send."""
    results: list[dict | None | Exception] = [None] * len(requests)
    claimants: list[int] = []
    for index, request in enumerate(requests):
        try:
            if request.count_against_limit:
                _take_action_token(request.worker)
        except RateLimited as error:
            results[index] = error
        else:
            claimants.append(index)
    if claimants:
        claimed = dispatch.assignments_claim(workers=[requests[index].worker for index in claimants])
        for index in claimants:
            outcome = claimed[requests[index].worker.pk]
            results[index] = _task_payload(outcome) if isinstance(outcome, Assignment) else outcome
    return results


@dataclass(frozen=True)
class _SubmitRequest:
    worker: Worker
    assignment_id: int
    answer: object

    @property
    def batch_key(self) -> int:
        return self.assignment_id


def _submit_many(requests: list[_SubmitRequest]) -> list[None | Exception]:
    """Each answer (to distinct assignments) through one call of the submit service: ``None``
    when it is stored (or was already), else the error to send (a ``DomainError``; anything
    else is a bug, sent to that socket alone as ``server_error``)."""
    results: list[None | Exception] = [None] * len(requests)
    submissions: list[tuple[int, assignments.Submission]] = []
    for index, request in enumerate(requests):
        try:
            _take_action_token(request.worker)
        except RateLimited as error:
            results[index] = error
        else:
            submissions.append((index, assignments.Submission(request.worker, request.assignment_id, request.answer)))
    if submissions:
        outcomes = assignments.assignments_submit(submissions=[submission for _, submission in submissions])
        for (index, _), outcome in zip(submissions, outcomes, strict=True):
            results[index] = outcome if isinstance(outcome, Exception) else None
    return results


# One batcher of each kind per event loop (per ASGI process; per test in tests), like the dispatcher.
_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Batcher, Batcher]] = weakref.WeakKeyDictionary()


def _batchers_of_this_loop() -> tuple[Batcher[_ClaimRequest], Batcher[_SubmitRequest]]:
    loop = asyncio.get_running_loop()
    batchers = _batchers.get(loop)
    if batchers is None:
        config = settings.GROUNDWORK
        size, in_flight = config["REALTIME_BATCH_SIZE"], config["REALTIME_BATCHES_IN_FLIGHT"]
        batchers = _batchers[loop] = (
            Batcher(on_database_thread(_claim_many), max_size=size, max_in_flight=in_flight),
            Batcher(on_database_thread(_submit_many, _answer_threads), max_size=size, max_in_flight=in_flight),
        )
    return batchers


def _claim(request: _ClaimRequest) -> Awaitable[object]:
    return _batchers_of_this_loop()[0](request)


def _submit(request: _SubmitRequest) -> Awaitable[object]:
    return _batchers_of_this_loop()[1](request)


def _return(worker: Worker, assignment_id: object) -> None:
    _take_action_token(worker)
    assignments.assignment_return(worker=worker, assignment_id=assignment_id)


def _live_task_payloads(worker: Worker) -> list[dict]:
    return [_task_payload(assignment) for assignment in worker_live_assignments(worker)]


def _workteam_ids(worker: Worker) -> set[int]:
    return set(dispatch.eligible_workteam_ids(worker))


class WorkerConsumer(AsyncWebsocketConsumer):
    """One worker socket. State: ``standing_ref`` is set while a ``ready`` awaits its ``task``."""

    # No channel per socket: hints reach sockets through their process's dispatcher, one
    # channel-layer message per process instead of one per connected worker. (An alias that is
    # not configured makes Channels skip the per-consumer channel.)
    channel_layer_alias = "groundwork-worker-sockets-have-no-channel"
    worker: Worker | None = None
    dispatcher: ProcessDispatcher | None = None
    has_standing_request = False
    handlers: ClassVar[dict] = {}

    async def connect(self) -> None:
        await self.accept()
        headers = dict(self.scope.get("headers", []))
        worker = await on_database_thread(_authenticate)(headers, self.scope.get("query_string", b""))
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
        config = settings.GROUNDWORK
        self.flood_bucket = _Bucket(config["WEBSOCKET_MESSAGE_RATE_PER_SECOND"], config["WEBSOCKET_MESSAGE_BURST"])
        self.workteam_ids = await on_database_thread(_workteam_ids)(worker)
        self.dispatcher = await get_dispatcher()
        self.dispatcher.register(self)
        for payload in await on_database_thread(_live_task_payloads)(worker):
            self.live_assignment_ids.add(payload["assignment_id"])
            await self.send_json(payload)

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
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

    async def send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":")))

    async def send_error(self, error: DomainError, ref: object = None, assignment_id: object = None) -> None:
        payload: dict = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
        if error.fields:
            payload["fields"] = error.fields
        if assignment_id is not None:
            payload["assignment_id"] = assignment_id
        await self.send_json(payload)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.worker is None:
            return
        if not self.flood_bucket.take():
            await self.send_error(RateLimited("too many messages on this socket; slow down"))
            return
        if text_data is None:
            await self.send_error(InvalidInput("send JSON text frames, not binary ones"))
            return
        if len(text_data) > settings.MAX_REQUEST_BODY_BYTES:
            await self.send_error(DomainError("the message is too large", code="too_large", status=413))
            return
        try:
            message = parse_json(text_data)
        except InvalidInput as error:  # refused whole; its ref still says which request it was
            await self.send_error(error, *_ref_and_assignment_id(text_data))
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
            await self.send_error(
                DomainError("internal error; it has been logged", code="server_error", status=500),
                ref,
                message.get("assignment_id"),
            )

    # --- message handlers (registered in ``handlers`` below the class) ------------------------
    async def on_ping(self, message: dict, ref: object) -> None:
        await self.send_json({"type": "pong", "ref": ref})

    async def on_ready(self, message: dict, ref: object) -> None:
        # The claim reads memberships itself; ``workteam_ids`` only routes wake-ups, and the
        # dispatcher's timer refreshes it for waiting sockets.
        self.has_standing_request, self.standing_ref = True, ref
        await self.try_claim(client_asked=True)

    async def on_submit(self, message: dict, ref: object) -> None:
        assignment_id = _assignment_id(message)
        if "answer" not in message:
            raise InvalidInput.for_field("answer", "is required")
        await _submit(_SubmitRequest(self.worker, assignment_id, message["answer"]))  # raises a refusal
        self.live_assignment_ids.discard(assignment_id)
        await self.send_json({"type": "ack", "assignment_id": assignment_id, "ref": ref})

    async def on_return(self, message: dict, ref: object) -> None:
        assignment_id = _assignment_id(message)
        await on_database_thread(_return, _answer_threads)(self.worker, assignment_id)
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
                payload = await _claim(_ClaimRequest(self.worker, count_against_limit=client_asked))
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


def _ref_and_assignment_id(text_data: str) -> tuple[object, object]:
    """The ``ref`` and ``assignment_id`` of a message refused as a whole, when they are
    themselves clean (an integer, or a short string of valid text), to echo in its ``error``."""
    try:
        message = json.loads(text_data)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(message, dict):
        return None, None
    return tuple(_clean_scalar(message.get(name)) for name in ("ref", "assignment_id"))


def _clean_scalar(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    if isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return None
        return value
    return None


def _assignment_id(message: dict) -> int:
    value = message.get("assignment_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field("assignment_id", "must be an integer")
    return value
