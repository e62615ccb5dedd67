"""A vendor team at its offering's capacity over the websocket: a waiting team member is told
idle, and is pushed the work as soon as an answer frees a place (a hint, not the timer)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from marketplace.inputs.tasks import task_spec
from marketplace.services.organizations import vendor_create
from marketplace.services.tasks import tasks_post
from marketplace.services.vendors import offering_publish, subscription_accept, subscription_request
from marketplace.services.workteams import workteam_add_member

from .conftest import Socket, run

pytestmark = pytest.mark.usefixtures("realtime_db")


def test_an_answer_that_frees_a_vendor_place_pushes_the_waiting_member_its_task(make_requester, make_worker):
    requester = make_requester()
    vendor = vendor_create(name="Acme").organization
    offering = offering_publish(
        vendor=vendor, name="Team", task_types=["custom"], languages=["en"], price="0.05", capacity=1
    )
    subscription, _ = subscription_request(requester=requester.organization, offering=offering)
    subscription_accept(subscription=subscription)
    tasks_post(
        requester=requester.organization,
        specs=[task_spec({"title": f"t{i}", "workteam_id": offering.workteam_id}) for i in range(2)],
    )
    first, second = make_worker(join_public=False), make_worker(join_public=False)
    for worker in (first, second):
        workteam_add_member(workteam=offering.workteam, worker=worker)

    async def scenario():
        busy = await Socket.open(token=first.token)
        waiting = await Socket.open(token=second.token)
        await busy.send(type="ready")
        offered = await busy.receive()
        await waiting.send(type="ready")
        idle = await waiting.receive()
        await busy.send(type="submit", assignment_id=offered["assignment_id"], answer={"text": "done"})
        ack = await busy.receive()
        pushed = await waiting.receive(timeout=5)
        await busy.close()
        await waiting.close()
        return offered, idle, ack, pushed

    # The safety-net timer far away: only the hint can bring the task in time.
    with override_settings(GROUNDWORK={**settings.GROUNDWORK, "REALTIME_RECHECK_SECONDS": 60}):
        offered, idle, ack, pushed = run(scenario())
    assert offered["type"] == "task" and idle["type"] == "idle" and ack["type"] == "ack"
    assert pushed["type"] == "task" and pushed["task_id"] != offered["task_id"]
