"""A held task over the websocket (CONTRACTS.md §2): never offered while held; offered to a
waiting socket once ``tasks_release`` opens it."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment
from marketplace.services.batches import tasks_release
from tests.marketplace.test_held_tasks import post_held

from .conftest import Socket, idle_then_offered, run

pytestmark = pytest.mark.usefixtures("realtime_db")


def test_a_held_task_is_not_offered_and_its_release_reaches_a_waiting_socket(make_requester, make_worker):
    # given: only held work
    requester = make_requester()
    worker = make_worker()
    batch, tasks = post_held(requester.organization, 1)

    async def held_only() -> tuple[dict, bool]:
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready", ref="r")
        idle = await socket.receive()
        quiet = await socket.nothing_within(1.0)  # longer than a hint takes, and past a recheck or two
        await socket.close()
        return idle, quiet

    idle, quiet = run(held_only())
    assert idle == {"type": "idle", "ref": "r"} and quiet

    # when: released while a socket waits
    idle, offered = run(idle_then_offered(worker.token, lambda: tasks_release(batch=batch, task_ids=[tasks[0].pk])))

    # then
    assert idle["type"] == "idle"
    assert (offered["type"], offered["task_id"]) == ("task", tasks[0].pk)
    assert Assignment.objects.get(pk=offered["assignment_id"]).worker_id == worker.pk
