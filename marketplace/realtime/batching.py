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

Members are isolated: when a batch fails as a whole (the batched service raised instead of
answering each request), each of its requests is run again alone, so only the request that
fails on its own hears the error. The batched services isolate their members themselves
(``assignments_submit``, ``assignments_claim``); this is the net under them.

``claim`` and ``submit`` hand a request to the batcher of that kind of the running event loop
(one per ASGI process; one per test in tests), made on first use.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar, cast

from django.conf import settings

from ..observability.metrics import observed_claim, observed_submit
from .actions import ClaimRequest, SubmitRequest, claim_many, submit_many
from .threads import answer_threads, on_database_thread


class _Keyed(Protocol):
    @property
    def batch_key(self) -> Hashable: ...


Request = TypeVar("Request", bound=_Keyed)

logger = logging.getLogger(__name__)


class Batcher(Generic[Request]):
    def __init__(
        self,
        run_batch: Callable[[list[Request]], Awaitable[list[object]]],
        *,
        max_size: int,
        max_in_flight: int,
        gives_way_to: Batcher | None = None,
    ) -> None:
        """``run_batch`` takes requests with distinct keys and returns one result per request,
        in order: a value to hand back, or an exception to raise in its caller. With
        ``gives_way_to``, no batch of this batcher starts while requests wait in that one for a
        free place (``_gives_way``)."""
        self.run_batch = run_batch
        self.max_size, self.max_in_flight = max_size, max_in_flight
        self.pending: list[tuple[Request, asyncio.Future]] = []
        self.in_flight = 0
        self.is_flush_scheduled = False
        self.gives_way_to = gives_way_to
        self.giving_way: list[Batcher] = []  # the batchers that give way to this one
        if gives_way_to is not None:
            gives_way_to.giving_way.append(self)

    async def __call__(self, request: Request) -> object:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((request, future))
        if not self.is_flush_scheduled:  # after this turn: the wake-ups of one hint go together
            self.is_flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _gives_way(self) -> bool:
        """Whether the batcher this one gives way to has requests waiting for a free place."""
        other = self.gives_way_to
        return (
            other is not None
            and other.in_flight >= other.max_in_flight
            and any(not future.done() for _, future in other.pending)
        )

    def _flush(self) -> None:
        self.is_flush_scheduled = False
        while self.pending and self.in_flight < self.max_in_flight and not self._gives_way():
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
            results = await self._results([request for request, _ in batch])
        finally:
            self.in_flight -= 1
            self._flush()
            for waiting in self.giving_way:
                waiting._flush()
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _results(self, requests: list[Request]) -> list[object]:
        """One result per request; a failed batch of several is run again one request at a
        time (in this batch's place, so ``max_in_flight`` still holds), each failing alone."""
        try:
            return await self.run_batch(requests)
        except Exception as error:
            if len(requests) == 1:  # the database is away, or this request fails on its own
                return [error]
            logger.warning("a batch of %d failed (%r); running each request alone", len(requests), error)
        results: list[object] = []
        for request in requests:
            try:
                (result,) = await self.run_batch([request])
            except Exception as error:
                result = error
            results.append(result)
        return results


# One batcher of each kind per event loop (per ASGI process; per test in tests), like the dispatcher.
_batchers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[Batcher[ClaimRequest], Batcher[SubmitRequest]]
] = weakref.WeakKeyDictionary()


def _batchers_of_this_loop() -> tuple[Batcher[ClaimRequest], Batcher[SubmitRequest]]:
    loop = asyncio.get_running_loop()
    batchers = _batchers.get(loop)
    if batchers is None:
        config = settings.GROUNDWORK
        size, in_flight = config["REALTIME_BATCH_SIZE"], config["REALTIME_BATCHES_IN_FLIGHT"]
        submits = Batcher(on_database_thread(submit_many, answer_threads), max_size=size, max_in_flight=in_flight)
        # Answers first: a worker waiting for its ack has done the work; one waiting for a task
        # has not. Claims hold back while answers wait, and answers then share the process (its
        # GIL, its CPU) with fewer claims; a new answer needs a claim first, so claims resume.
        claims = Batcher(on_database_thread(claim_many), max_size=size, max_in_flight=in_flight, gives_way_to=submits)
        batchers = _batchers[loop] = (claims, submits)
    return batchers


def claim(request: ClaimRequest) -> Awaitable[dict | None]:
    """The ``task`` payload, ``None`` (nothing open); raises the ``DomainError`` to answer with."""
    return observed_claim(cast("Awaitable[dict | None]", _batchers_of_this_loop()[0](request)))


def submit(request: SubmitRequest) -> Awaitable[object]:
    """``None`` once the answer is stored (or was already); raises the ``DomainError`` to answer with."""
    return observed_submit(_batchers_of_this_loop()[1](request))
