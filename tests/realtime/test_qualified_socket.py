"""The websocket honours the one eligibility rule: an unqualified or blocked worker gets
``idle``, never the restricted task, and the timer offers it once the worker qualifies."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment
from marketplace.services.blocks import worker_block, worker_unblock
from marketplace.services.qualifications import qualification_grant
from tests.marketplace.qualification_helpers import create_type, post_task

from .conftest import Socket, db, fast_recheck, run

pytestmark = pytest.mark.usefixtures("realtime_db")


def test_an_unqualified_worker_gets_idle_not_the_restricted_task_until_granted(make_requester, make_worker):
    # given: one open task, restricted to holders of a type the worker lacks
    owner = make_requester()
    expert = create_type(owner)
    restricted = post_task(owner, [{"qualification_type_id": expert["id"], "comparator": ">=", "values": 2}])
    worker = make_worker()
    qualification_type = owner.organization.qualification_types.get()

    def grant():
        qualification_grant(requester=owner.organization, qualification_type=qualification_type, worker=worker, value=2)

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready", ref="r1")
        idle = await socket.receive()
        # several timer ticks (0.2 s) pass with the task open: the worker is still not offered it
        quiet = await socket.nothing_within(1.0)
        await db(grant)()
        offered = await socket.receive(timeout=5)
        await socket.close()
        return idle, quiet, offered

    # when
    with fast_recheck():
        idle, quiet, offered = run(scenario())

    # then
    assert idle == {"type": "idle", "ref": "r1"}
    assert quiet is True
    assert offered["type"] == "task"
    assert offered["task_id"] == restricted["id"]
    assert list(Assignment.objects.values_list("worker_id", "task_id")) == [(worker.pk, restricted["id"])]


def test_a_blocked_worker_gets_idle_until_unblocked(make_requester, make_worker):
    # given
    blocker = make_requester()
    task = post_task(blocker)
    worker = make_worker()
    block, _ = worker_block(requester=blocker.organization, worker=worker, reason="spam")

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready", ref="r")
        idle = await socket.receive()
        quiet = await socket.nothing_within(0.6)
        await db(worker_unblock)(block=block)
        offered = await socket.receive(timeout=5)
        await socket.close()
        return idle, quiet, offered

    # when
    with fast_recheck():
        idle, quiet, offered = run(scenario())

    # then
    assert idle == {"type": "idle", "ref": "r"}
    assert quiet is True
    assert (offered["type"], offered["task_id"]) == ("task", task["id"])
