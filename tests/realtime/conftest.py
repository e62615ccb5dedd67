"""Websocket tests: the real consumer and channel layer through ``WebsocketCommunicator``.

Consumers do their database work on their own threads, so these tests use transactional
databases (each thread has its own connection and must see committed rows).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import DatabaseSyncToAsync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings

from marketplace.realtime.routing import websocket_urlpatterns

application = URLRouter(websocket_urlpatterns)


def run(coroutine, timeout: float = 30):
    """Run one async scenario to its end on a fresh event loop.

    Then the loop's leftover tasks (the process dispatcher's loops, started on first use and in
    a server never stopped) are cancelled and given a few seconds to end. ``asyncio.run`` would
    wait for them without limit, and a channel-layer receive cancelled in the middle of its
    Redis command can outlive its cancellation: a test then hung after its scenario was done."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
    finally:
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover, timeout=5))
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


class Socket:
    """A connected worker socket, speaking JSON."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    @classmethod
    async def open(cls, *, token: str | None = None, path: str = "/ws/worker/") -> Socket:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        return cls(communicator)

    async def send(self, **message) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def receive(self, timeout: float = 5) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def nothing_within(self, seconds: float) -> bool:
        return await self.communicator.receive_nothing(timeout=seconds)

    async def close(self) -> None:
        await self.communicator.disconnect()


def db(function):
    """Run ORM work from a scenario (Django refuses it on the event loop thread); the thread
    gives its connection back afterwards."""
    return DatabaseSyncToAsync(function, thread_sensitive=False)


async def idle_then_offered(token: str, meanwhile) -> tuple[dict, dict]:
    """A socket says ready and is told idle; ``meanwhile`` runs (ORM work); what comes next."""
    socket = await Socket.open(token=token)
    await socket.send(type="ready", ref="r")
    idle = await socket.receive()
    await db(meanwhile)()
    offered = await socket.receive(timeout=5)
    await socket.close()
    return idle, offered


def fast_recheck():
    """The dispatcher's safety-net timer at 0.2 s, for tests that prove hints are optional."""
    return override_settings(GROUNDWORK={**settings.GROUNDWORK, "REALTIME_RECHECK_SECONDS": 0.2})


@pytest.fixture
def realtime_db(transactional_db):
    return transactional_db
