"""Per-process batching of database work for worker sockets: claims and submits.

A socket hands its request to its process's batcher and awaits its own result. The batcher
passes the requests of one event-loop turn, and those that arrive while earlier batches run,
to one call of a batched service on a database thread: ``dispatch.assignments_claim`` (the
same eligibility rule and cap as REST, in one transaction) for claims,
``assignments.assignments_submit`` for answers. Each socket then sends its own reply
(``task``, ``idle``, ``ack``, ``error``). With nothing else waiting a request runs at once,
alone: batches form only when requests queue, which is when sharing a transaction (one
commit, a few statements for all) pays.

At most ``max_in_flight`` batches run at a time, each of at most ``max_size`` requests with
distinct ``batch_key`` (a claim's worker, a submit's assignment): a second request with the
same key waits for a later batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar


class _Keyed(Protocol):
    @property
    def batch_key(self) -> Hashable: ...


Request = TypeVar("Request", bound=_Keyed)


class Batcher(Generic[Request]):
    def __init__(self, run_batch: Callable[[list[Request]], Awaitable[list[object]]], *, max_size: int,
                 max_in_flight: int) -> None:
        """``run_batch`` takes requests with distinct keys and returns one result per request,
        in order: a value to hand back, or an exception to raise in its caller."""
        self.run_batch = run_batch
        self.max_size, self.max_in_flight = max_size, max_in_flight
        self.pending: list[tuple[Request, asyncio.Future]] = []
        self.in_flight = 0
        self.is_flush_scheduled = False

    async def __call__(self, request: Request) -> object:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((request, future))
        if not self.is_flush_scheduled:  # after this turn: the wake-ups of one hint go together
            self.is_flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self.is_flush_scheduled = False
        while self.pending and self.in_flight < self.max_in_flight:
            batch: list[tuple[Request, asyncio.Future]] = []
            later: list[tuple[Request, asyncio.Future]] = []
            keys: set[Hashable] = set()
            for item in self.pending:
                request, future = item
                if future.done():  # its socket went away while it waited
                    continue
                if len(batch) < self.max_size and request.batch_key not in keys:
                    batch.append(item)
                    keys.add(request.batch_key)
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
