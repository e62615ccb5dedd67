"""The per-process dispatcher: turns hints into wake-ups of the right local sockets.

One dispatcher runs in each ASGI process (per event loop). It owns a channel in the
``gw.hints`` group, so every hint reaches each process once, and keeps:
- ``sockets``: the connected worker sockets of this process, by worker id;
- ``waiting``: sockets with a standing ``ready`` and no task, oldest first.

A ``work.available`` hint for ``n`` slots wakes up to ``n`` waiting sockets of those
workteams (oldest first); each claims through the one claim service. The timer is the safety
net that makes hints optional: every ``REALTIME_RECHECK_SECONDS`` (2 s) it re-joins the group
(membership is lost when Redis restarts), refreshes the waiting sockets' workteams, looks up
which of those have open work and wakes up to ``WAKE_PER_TICK`` waiting sockets of each, in
rotation; a socket woken by the timer that gets work wakes the next one (there may be more).
It also asks the database which assignments its sockets hold have ended, and reports the
expired ones.

The dispatcher knows sockets only as ``Socket`` (what it reads and calls on them), so it does
not import the consumer that implements it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from ..models import Assignment, Worker
from ..observability.metrics import hint_received
from ..selectors.assignments import ended_assignments
from ..selectors.tasks import workteams_with_open_work
from ..selectors.workers import current_token_hashes
from ..services.dispatch import workteam_ids_of
from .hints import HINTS_GROUP

logger = logging.getLogger(__name__)

WAKE_PER_TICK = 16


class Socket(Protocol):
    """A worker socket as the dispatcher sees it (``consumers.WorkerConsumer`` is one)."""

    worker: Worker
    workteam_ids: set[int]  # the workteams whose hints concern it; refreshed by the tick
    live_assignment_ids: set[int]  # sent as ``task`` and not yet known to have ended

    def wake(self, *, pass_on: bool = False) -> None:
        """Work may be open for it: claim (later, on the event loop) for its standing ``ready``."""

    def notify_expired(self, assignment_id: int) -> None:
        """Tell the client that one of its assignments expired."""

    def forget_assignment(self, assignment_id: int) -> None:
        """One of its assignments ended another way: nothing to tell."""

    async def close_signed_out(self) -> None:
        """Close it: its credentials were rotated or revoked since it authenticated."""


class ProcessDispatcher:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.sockets: dict[int, set[Socket]] = {}
        self.waiting: dict[Socket, None] = {}  # insertion-ordered: oldest first
        self.channel_name: str | None = None
        self._jobs: list[asyncio.Task] = []

    async def start(self) -> None:
        """Start the receive loop and the timer. Never fails: joining the hints group is retried
        on every tick, so a Redis that is away at start only delays hints."""
        self.channel_name = await self.layer.new_channel("gw.dispatch.")
        self._jobs = [asyncio.create_task(self._receive_loop()), asyncio.create_task(self._tick_loop())]
        await self._join()

    async def _join(self) -> None:
        try:
            await self.layer.group_add(HINTS_GROUP, self.channel_name)
        except Exception:
            logger.warning("dispatcher: could not join the hints group; retrying on the next tick", exc_info=True)

    # --- sockets ---------------------------------------------------------------------------
    def register(self, consumer: Socket) -> None:
        self.sockets.setdefault(consumer.worker.pk, set()).add(consumer)

    def unregister(self, consumer: Socket) -> None:
        self.waiting.pop(consumer, None)
        sockets = self.sockets.get(consumer.worker.pk)
        if sockets is not None:
            sockets.discard(consumer)
            if not sockets:
                del self.sockets[consumer.worker.pk]

    def wait(self, consumer: Socket) -> None:
        self.waiting.pop(consumer, None)
        self.waiting[consumer] = None

    def stop_waiting(self, consumer: Socket) -> None:
        self.waiting.pop(consumer, None)

    def wake(self, workteam_ids: Iterable[int], count: int, *, pass_on: bool = False) -> int:
        """Wake up to ``count`` waiting sockets of these workteams, oldest first. With
        ``pass_on`` (the timer, which does not know how much work is open) each socket that
        gets work wakes the next one; a hint says how many slots opened, so it does not."""
        wanted = set(workteam_ids)
        chosen = [c for c in self.waiting if c.workteam_ids & wanted][:count]
        for consumer in chosen:
            self.waiting.pop(consumer, None)
            consumer.wake(pass_on=pass_on)
        return len(chosen)

    def claimed(self, consumer: Socket) -> None:
        """A socket woken by the timer got work: more may be open, so pass the turn on."""
        self.wake(consumer.workteam_ids, 1, pass_on=True)

    # --- hints -----------------------------------------------------------------------------
    def handle_hint(self, message: dict) -> None:
        hint_received()
        kind = message.get("type")
        if kind == "work.available":
            self.wake(message.get("workteam_ids", []), int(message.get("slots", 1)))
        elif kind == "assignments.expired":
            self._notify_expired(message.get("assignments", []))

    def _notify_expired(self, pairs: Iterable[Iterable[int]]) -> None:
        for worker_id, assignment_id in pairs:
            for consumer in list(self.sockets.get(worker_id, ())):
                consumer.notify_expired(assignment_id)

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: the timer carries on; try again shortly
                logger.warning("dispatcher: channel layer receive failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            try:
                self.handle_hint(message)
            except Exception:
                logger.exception("dispatcher: bad hint %r", message)

    # --- the safety net --------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(settings.GROUNDWORK["REALTIME_RECHECK_SECONDS"])
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("dispatcher: tick failed", exc_info=True)

    async def tick(self) -> None:
        await self._join()  # group membership does not survive a Redis restart
        waiting = list(self.waiting)
        if waiting:
            # Memberships may have changed (an invitation accepted) since a socket said ready.
            teams = await database_sync_to_async(workteam_ids_of)(sorted({c.worker.pk for c in waiting}))
            for consumer in waiting:
                consumer.workteam_ids = set(teams.get(consumer.worker.pk, ()))
            waiting_workteams = sorted({w for consumer in waiting for w in consumer.workteam_ids})
            for workteam_id in await database_sync_to_async(workteams_with_open_work)(waiting_workteams):
                woken = self.wake([workteam_id], WAKE_PER_TICK, pass_on=True)
                logger.debug("dispatcher: tick woke %d sockets of workteam %d", woken, workteam_id)
        consumers = [consumer for sockets in self.sockets.values() for consumer in sockets]
        if consumers:
            # A socket authenticated once, at connect: a token rotated or revoked since (a vendor
            # revoking a worker's token, say), or a deactivated worker, closes it within a tick.
            # Compared per socket: one worker's sockets may have been opened with different tokens.
            current = await database_sync_to_async(current_token_hashes)(sorted({c.worker.pk for c in consumers}))
            signed_out = [c for c in consumers if current.get(c.worker.pk) != c.worker.token_hash]
            for consumer in signed_out:
                await consumer.close_signed_out()
            consumers = [consumer for consumer in consumers if consumer not in signed_out]
        held = sorted({assignment_id for consumer in consumers for assignment_id in consumer.live_assignment_ids})
        if held:
            ended = await database_sync_to_async(ended_assignments)(held)
            for consumer in consumers:
                for assignment_id in list(consumer.live_assignment_ids):
                    status = ended.get(assignment_id)
                    if status == Assignment.Status.EXPIRED:
                        consumer.notify_expired(assignment_id)
                    elif status is not None:
                        consumer.forget_assignment(assignment_id)


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessDispatcher] = weakref.WeakKeyDictionary()


async def get_dispatcher() -> ProcessDispatcher:
    """The dispatcher of the running event loop, started on first use."""
    loop = asyncio.get_running_loop()
    dispatcher = _dispatchers.get(loop)
    if dispatcher is None:
        dispatcher = _dispatchers[loop] = ProcessDispatcher()
        await dispatcher.start()  # never raises after the loops exist (see start)
    return dispatcher
