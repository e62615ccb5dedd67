"""The per-process claim batcher: sockets that want work at the same moment claim together.

A socket with a standing ``ready`` asks its process's batcher for a claim and awaits its own
result. The batcher hands the requests of one event-loop turn, and those that arrive while
earlier claims are running, to one call of the claim service for several workers
(``dispatch.assignments_claim``: the same eligibility rule and cap as REST, in one
transaction) on a database thread; each socket then sends its own ``task`` (or ``idle``, or
``error``). With nothing else waiting a request runs at once, alone: batches form only when
claims queue, which is when sharing a transaction pays.

At most ``max_in_flight`` batches run at a time, each of at most ``max_size`` distinct workers
(a worker with two sockets waiting has its second claim in a later batch).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar


class _HasWorker(Protocol):
    worker_id: int


Request = TypeVar("Request", bound=_HasWorker)


class ClaimBatcher(Generic[Request]):
    def __init__(self, run_batch: Callable[[list[Request]], Awaitable[list[object]]], *, max_size: int,
                 max_in_flight: int) -> None:
        """``run_batch`` takes requests of distinct workers and returns one result per request,
        in order: a value to hand back, or an exception to raise in its caller."""
        self.run_batch = run_batch
        self.max_size, self.max_in_flight = max_size, max_in_flight
        self.pending: list[tuple[Request, asyncio.Future]] = []
        self.in_flight = 0
        self.is_flush_scheduled = False

    async def claim(self, request: Request) -> object:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((request, future))
        if not self.is_flush_scheduled:  # after this turn: wake-ups of one hint go together
            self.is_flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self.is_flush_scheduled = False
        while self.pending and self.in_flight < self.max_in_flight:
            batch: list[tuple[Request, asyncio.Future]] = []
            later: list[tuple[Request, asyncio.Future]] = []
            workers: set[int] = set()
            for item in self.pending:
                request, future = item
                if future.done():  # its socket went away while it waited
                    continue
                if len(batch) < self.max_size and request.worker_id not in workers:
                    batch.append(item)
                    workers.add(request.worker_id)
                else:
                    later.append(item)
            self.pending = later
            if batch:
                self.in_flight += 1
                asyncio.ensure_future(self._run(batch))

    async def _run(self, batch: list[tuple[Request, asyncio.Future]]) -> None:
        try:
            results = await self.run_batch([request for request, _ in batch])
        except Exception as error:  # the database is away: every caller hears it
            results = [error] * len(batch)
        finally:
            self.in_flight -= 1
            self._flush()
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
