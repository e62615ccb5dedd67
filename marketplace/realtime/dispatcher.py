"""The per-process dispatcher: turns hints into wake-ups of the right local sockets.

One dispatcher runs in each ASGI process (per event loop). It owns a channel in the
``gw.hints`` group, so every hint reaches each process once, and keeps:
- ``sockets``: the connected worker sockets of this process, by worker id;
- ``waiting``: sockets with a standing ``ready`` and no task, oldest first.

A ``work.available`` hint for ``n`` slots wakes up to ``n`` waiting sockets of those workteams
(oldest first); each claims through the one claim service, and a socket whose claim succeeds
wakes the next waiting socket (there may be more work). The timer is the safety net that makes
hints optional: every ``REALTIME_RECHECK_SECONDS`` (2 s) it re-joins the group (membership is lost when Redis
restarts), looks up which local workteams have open work and wakes up to ``WAKE_PER_TICK`` waiting
sockets of each, in rotation, and reports assignments of local workers that expired since the
last tick.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from ..models import Assignment, Task
from .hints import HINTS_GROUP

if TYPE_CHECKING:
    from .consumers import WorkerConsumer

logger = logging.getLogger(__name__)

WAKE_PER_TICK = 16


def workteams_with_open_work(workteam_ids: list[int]) -> set[int]:
    now = timezone.now()
    return {
        workteam_id for workteam_id in workteam_ids
        if Task.objects.filter(workteam_id=workteam_id, status=Task.Status.OPEN, expires_at__gt=now).exists()
    }


def recently_expired(worker_ids: list[int], since) -> list[tuple[int, int]]:
    return list(
        Assignment.objects.filter(
            worker_id__in=worker_ids, status=Assignment.Status.EXPIRED, expired_at__gte=since
        ).values_list("worker_id", "pk")
    )


class ProcessDispatcher:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.sockets: dict[int, set[WorkerConsumer]] = {}
        self.waiting: dict[WorkerConsumer, None] = {}  # insertion-ordered: oldest first
        self.channel_name: str | None = None
        self._jobs: list[asyncio.Task] = []
        self._expired_since = timezone.now()

    async def start(self) -> None:
        self.channel_name = await self.layer.new_channel("gw.dispatch.")
        await self.layer.group_add(HINTS_GROUP, self.channel_name)
        self._jobs = [asyncio.create_task(self._receive_loop()), asyncio.create_task(self._tick_loop())]

    # --- sockets ---------------------------------------------------------------------------
    def register(self, consumer: WorkerConsumer) -> None:
        self.sockets.setdefault(consumer.worker.pk, set()).add(consumer)

    def unregister(self, consumer: WorkerConsumer) -> None:
        self.waiting.pop(consumer, None)
        sockets = self.sockets.get(consumer.worker.pk)
        if sockets is not None:
            sockets.discard(consumer)
            if not sockets:
                del self.sockets[consumer.worker.pk]

    def wait(self, consumer: WorkerConsumer) -> None:
        self.waiting.pop(consumer, None)
        self.waiting[consumer] = None

    def stop_waiting(self, consumer: WorkerConsumer) -> None:
        self.waiting.pop(consumer, None)

    def wake(self, workteam_ids: Iterable[int], count: int) -> int:
        """Wake up to ``count`` waiting sockets of these workteams, oldest first."""
        wanted = set(workteam_ids)
        chosen = [c for c in self.waiting if c.workteam_ids & wanted][:count]
        for consumer in chosen:
            self.waiting.pop(consumer, None)
            consumer.wake()
        return len(chosen)

    def claimed(self, consumer: WorkerConsumer) -> None:
        """A woken socket got work: more may be open, so pass the turn on."""
        self.wake(consumer.workteam_ids, 1)

    # --- hints -----------------------------------------------------------------------------
    def handle_hint(self, message: dict) -> None:
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
        try:
            await self.layer.group_add(HINTS_GROUP, self.channel_name)
        except Exception:
            logger.warning("dispatcher: could not re-join the hints group", exc_info=True)
        waiting_workteams = sorted({w for consumer in self.waiting for w in consumer.workteam_ids})
        if waiting_workteams:
            for workteam_id in await database_sync_to_async(workteams_with_open_work)(waiting_workteams):
                woken = self.wake([workteam_id], WAKE_PER_TICK)
                logger.debug("dispatcher: tick woke %d sockets of workteam %d", woken, workteam_id)
        if self.sockets:
            since = self._expired_since
            self._expired_since = timezone.now() - timedelta(seconds=1)  # overlap: sockets de-duplicate
            self._notify_expired(await database_sync_to_async(recently_expired)(list(self.sockets), since))


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessDispatcher] = weakref.WeakKeyDictionary()


async def get_dispatcher() -> ProcessDispatcher:
    """The dispatcher of the running event loop, started on first use."""
    loop = asyncio.get_running_loop()
    dispatcher = _dispatchers.get(loop)
    if dispatcher is None:
        dispatcher = _dispatchers[loop] = ProcessDispatcher()
        await dispatcher.start()
    return dispatcher
