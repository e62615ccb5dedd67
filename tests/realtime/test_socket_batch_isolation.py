"""Ten sockets submit at once; one answer holds a lone surrogate, another is refused deep in the
database (a trigger on its row): each of those two hears its own ``error``, the eight others
are acked and recorded, and nothing of the two changed (issue 13, defect 2)."""

from __future__ import annotations

import asyncio

import pytest

from marketplace.models import Assignment, Task
from tests.conftest import needs_postgres, refusing_rows

from .conftest import Socket, run

pytestmark = [needs_postgres, pytest.mark.usefixtures("realtime_db")]

SCHEMA = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
SURROGATE, POISONED = 3, 6  # which sockets send the bad answers


def test_one_bad_answer_among_ten_sockets_is_refused_alone(make_requester, make_worker, make_tasks, monkeypatch):
    # given: ten workers, each holding an assignment on its own task over its socket; the
    # submit service watched (called through) to see the batches it is given
    from marketplace.services import assignments

    requester = make_requester()
    make_tasks(requester.organization, 10, slots=1, answer_schema=SCHEMA)
    workers = [make_worker() for _ in range(10)]
    batches: list[list[int]] = []  # the assignment ids of each call
    submit_many = assignments.assignments_submit

    def watched_submit(*, submissions):
        batches.append([submission.assignment_id for submission in submissions])
        return submit_many(submissions=submissions)

    monkeypatch.setattr(assignments, "assignments_submit", watched_submit)
    answers = [{"label": f"label {index}"} for index in range(10)]
    answers[SURROGATE] = {"label": "\ud800"}
    answers[POISONED] = {"label": "poison"}

    async def scenario():
        sockets = [await Socket.open(token=worker.token) for worker in workers]
        offered = []
        for socket in sockets:
            await socket.send(type="ready", ref="r")
            offered.append(await socket.receive())
        await asyncio.gather(
            *(
                socket.send(type="submit", assignment_id=task["assignment_id"], answer=answer, ref=index)
                for index, (socket, task, answer) in enumerate(zip(sockets, offered, answers, strict=True))
            )
        )
        replies = [await socket.receive() for socket in sockets]
        for socket in sockets:
            await socket.close()
        return offered, replies

    # when
    with refusing_rows(event="UPDATE", condition="NEW.answer ->> 'label' = 'poison'"):
        offered, replies = run(scenario())

    # then: every socket heard about its own answer only
    assert [message["type"] for message in offered] == ["task"] * 10
    good = [index for index in range(10) if index not in (SURROGATE, POISONED)]
    assert [(replies[i]["type"], replies[i]["ref"]) for i in good] == [("ack", i) for i in good]
    assert (replies[SURROGATE]["type"], replies[SURROGATE]["code"], replies[SURROGATE]["ref"]) == (
        "error",
        "invalid",
        SURROGATE,
    )
    assert [field.split(".")[0] for field in replies[SURROGATE]["fields"]] == ["answer"]
    assert replies[SURROGATE]["assignment_id"] == offered[SURROGATE]["assignment_id"]
    assert (replies[POISONED]["type"], replies[POISONED]["code"], replies[POISONED]["ref"]) == (
        "error",
        "server_error",
        POISONED,
    )
    assert replies[POISONED]["assignment_id"] == offered[POISONED]["assignment_id"]
    # the poisoned answer shared a batch with good ones (which failed whole, then went one by
    # one); the surrogate is refused either at the edge or by the database, alone either way
    poisoned = offered[POISONED]["assignment_id"]
    assert any(poisoned in batch and len(batch) > 1 for batch in batches), batches
    rows = {a.pk: (a.status, a.answer) for a in Assignment.objects.all()}
    assert {offered[i]["assignment_id"]: rows[offered[i]["assignment_id"]] for i in good} == {
        offered[i]["assignment_id"]: ("submitted", answers[i]) for i in good
    }
    for bad in (SURROGATE, POISONED):
        assert rows[offered[bad]["assignment_id"]] == ("accepted", None)
        assert Task.objects.get(pk=offered[bad]["task_id"]).slots_submitted == 0
    assert Task.objects.filter(slots_submitted=1).count() == 8
