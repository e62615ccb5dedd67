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

from marketplace.realtime.routing import websocket_urlpatterns

application = URLRouter(websocket_urlpatterns)


def run(coroutine, timeout: float = 30):
    """Run one async scenario to its end on a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


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


@pytest.fixture
def realtime_db(transactional_db):
    return transactional_db
