"""Websocket messages pass the same text and depth checks as REST bodies (issue 13, defects 3
and 9 on the socket): an ``error`` ``invalid`` naming the field, the assignment untouched, the
socket still serving."""

from __future__ import annotations

import pytest

from marketplace.jsonbody import MAX_JSON_DEPTH
from marketplace.models import Assignment
from tests.marketplace.edge_helpers import world
from tests.realtime.conftest import Socket, run

pytestmark = pytest.mark.usefixtures("realtime_db")


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ('{"type": "submit", "assignment_id": %(id)d, "answer": {"label": "\\ud800"}, "ref": "s"}', "answer.label"),
        (
            '{"type": "submit", "assignment_id": %(id)d, "answer": {"boxes": [{"label": "a\\u0000"}]}}',
            "answer.boxes.0.label",
        ),
        ('{"type": "submit", "assignment_id": %(id)d, "answer": {"\\udc00": 1}}', "answer.\\udc00"),
        (
            '{"type": "submit", "assignment_id": %(id)d, "answer": ' + '{"a": ' * 960 + "1" + "}" * 960 + "}",
            "answer" + ".a" * (MAX_JSON_DEPTH - 1),
        ),
        ('{"type": "ready", "ref": "\\ud800"}', "ref"),
    ],
)
def test_a_message_with_unstorable_text_or_too_deep_is_refused_naming_the_field(
    make_requester, make_worker, make_tasks, frame, field
):
    # given: a worker holding an assignment
    requester = make_requester()
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = worker.client.post("/api/v1/worker/tasks/next").json()["assignment_id"]
    before = world()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        resent = await socket.receive()  # the live assignment, re-sent on connect
        await socket.communicator.send_to(text_data=frame % {"id": assignment_id})
        refused = await socket.receive()
        await socket.send(type="ping", ref="still there")
        pong = await socket.receive()
        await socket.close()
        return resent, refused, pong

    # when
    resent, refused, pong = run(scenario())
    # then
    assert resent["assignment_id"] == assignment_id
    assert (refused["type"], refused["code"]) == ("error", "invalid")
    assert list(refused["fields"]) == [field]
    assert pong == {"type": "pong", "ref": "still there"}
    assert world() == before
    assert Assignment.objects.get(pk=assignment_id).status == "accepted"
