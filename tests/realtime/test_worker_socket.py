"""Every message type and refusal of the worker websocket (DESIGN.md "Worker websocket")."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from marketplace.services.workers import websocket_ticket_create

from .conftest import Socket, db, fast_recheck, idle_then_offered, run

pytestmark = pytest.mark.usefixtures("realtime_db")


def test_bad_credentials_are_accepted_then_closed_with_4401(make_worker):
    async def scenario():
        socket = await Socket.open(token="gww_not-a-token")
        closing = await socket.communicator.receive_output(timeout=5)
        return closing

    closing = run(scenario())
    assert closing["type"] == "websocket.close"
    assert closing["code"] == 4401
    assert closing["reason"]


def test_no_credentials_at_all_is_4401():
    async def scenario():
        socket = await Socket.open()
        return await socket.communicator.receive_output(timeout=5)

    assert run(scenario())["code"] == 4401


def test_a_ticket_opens_one_socket_only(make_worker):
    # given
    worker = make_worker()
    ticket, expires_in = websocket_ticket_create(worker=worker)

    async def scenario():
        first = await Socket.open(path=f"/ws/worker/?ticket={ticket}")
        await first.send(type="ping", ref="p1")
        pong = await first.receive()
        second = await Socket.open(path=f"/ws/worker/?ticket={ticket}")
        refused = await second.communicator.receive_output(timeout=5)
        await first.close()
        return pong, refused

    # when
    pong, refused = run(scenario())

    # then
    assert expires_in == 60
    assert pong == {"type": "pong", "ref": "p1"}
    assert refused["code"] == 4401


def test_ws_ticket_endpoint_gives_a_working_ticket(make_worker):
    worker = make_worker()
    response = worker.client.post("/api/v1/worker/ws-ticket")
    assert response.status_code == 200
    ticket = response.json()["ticket"]

    async def scenario():
        socket = await Socket.open(path=f"/ws/worker/?ticket={ticket}")
        await socket.send(type="ping")
        reply = await socket.receive()
        await socket.close()
        return reply

    assert run(scenario()) == {"type": "pong", "ref": None}


def test_ready_gets_a_task_at_once_and_submit_is_acked(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    task = make_tasks(requester.organization, 1, slots=1, input={"text": "hello"}, labels=["a", "b"])[0]
    worker = make_worker()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready", ref=1)
        offered = await socket.receive()
        await socket.send(type="submit", assignment_id=offered["assignment_id"], answer={"label": "a"}, ref=2)
        acked = await socket.receive()
        await socket.send(type="submit", assignment_id=offered["assignment_id"], answer={"label": "a"}, ref=3)
        acked_again = await socket.receive()
        await socket.send(type="submit", assignment_id=offered["assignment_id"], answer={"label": "b"}, ref=4)
        refused = await socket.receive()
        await socket.close()
        return offered, acked, acked_again, refused

    # when
    offered, acked, acked_again, refused = run(scenario())

    # then
    assert offered["type"] == "task" and offered["ref"] == 1
    assert (offered["task_id"], offered["input"], offered["labels"]) == (task.pk, {"text": "hello"}, ["a", "b"])
    assert {"assignment_id", "task_type", "instructions", "deadline"} <= set(offered)
    assert acked == {"type": "ack", "assignment_id": offered["assignment_id"], "ref": 2}
    assert acked_again == {"type": "ack", "assignment_id": offered["assignment_id"], "ref": 3}
    assert (refused["type"], refused["code"], refused["ref"]) == ("error", "already_submitted", 4)
    assert refused["assignment_id"] == offered["assignment_id"]
    assert Assignment.objects.get(pk=offered["assignment_id"]).answer == {"label": "a"}


def test_ready_without_work_is_idle_then_a_task_follows_when_work_is_posted(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    worker = make_worker()

    def post_a_task():
        make_tasks(requester.organization, 1, slots=1)

    # when
    idle, offered = run(idle_then_offered(worker.token, post_a_task))

    # then
    assert idle == {"type": "idle", "ref": "r"}
    assert offered["type"] == "task" and offered["ref"] == "r"
    assert Assignment.objects.get(pk=offered["assignment_id"]).worker_id == worker.pk


def test_work_reaches_an_idle_socket_without_any_hint(make_requester, make_worker, make_tasks):
    # given: tasks written straight to the database, so no hint is ever sent
    requester = make_requester()
    template = make_tasks(requester.organization, 1, slots=1)[0]
    Task.objects.filter(pk=template.pk).update(status="stopped")
    worker = make_worker()

    def insert_silently():
        Task.objects.create(
            batch_id=template.batch_id,
            requester_id=template.requester_id,
            workteam_id=template.workteam_id,
            title="silent",
            slots=1,
            reward_micros=1,
            assignment_duration_seconds=60,
            lifetime_seconds=600,
            expires_at=timezone.now() + timedelta(minutes=10),
        )

    # when
    with fast_recheck():
        idle, offered = run(idle_then_offered(worker.token, insert_silently))

    # then
    assert idle["type"] == "idle"
    assert offered["type"] == "task"


def test_return_is_acked_and_the_slot_goes_to_the_next_worker(make_requester, make_worker, make_tasks):
    # given
    requester = make_requester()
    task = make_tasks(requester.organization, 1, slots=1)[0]
    first, second = make_worker(), make_worker()

    async def scenario():
        a = await Socket.open(token=first.token)
        b = await Socket.open(token=second.token)
        await a.send(type="ready")
        offered = await a.receive()
        await b.send(type="ready")
        idle = await b.receive()
        await a.send(type="return", assignment_id=offered["assignment_id"], ref="back")
        acked = await a.receive()
        handed_on = await b.receive()
        await a.close()
        await b.close()
        return offered, idle, acked, handed_on

    # when
    offered, idle, acked, handed_on = run(scenario())

    # then
    assert idle["type"] == "idle"
    assert acked == {"type": "ack", "assignment_id": offered["assignment_id"], "ref": "back"}
    assert handed_on["type"] == "task" and handed_on["task_id"] == task.pk
    assert Assignment.objects.get(pk=offered["assignment_id"]).status == "returned"


def test_reconnect_resends_live_assignments(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 2, slots=1)
    worker = make_worker()
    worker.client.post("/api/v1/worker/tasks/next")  # claimed over REST: the socket shows it too

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready")
        offered = await socket.receive()
        await socket.close()
        again = await Socket.open(token=worker.token)
        resent = [await again.receive(), await again.receive()]
        quiet = await again.nothing_within(0.3)
        await again.close()
        return offered, resent, quiet

    offered, resent, quiet = run(scenario())
    live = sorted(Assignment.objects.filter(worker=worker, status="accepted").values_list("pk", flat=True))
    assert sorted(message["assignment_id"] for message in resent) == live
    assert offered["assignment_id"] in live
    assert all(message["type"] == "task" for message in resent)
    assert quiet


def test_the_live_assignment_cap_counts_across_sockets(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 5, slots=1)
    worker = make_worker()

    async def scenario():
        a = await Socket.open(token=worker.token)
        b = await Socket.open(token=worker.token)
        replies = []
        for socket in (a, b, a, b):
            await socket.send(type="ready", ref=len(replies))
            replies.append(await socket.receive())
        await a.close()
        await b.close()
        return replies

    replies = run(scenario())
    assert [r["type"] for r in replies] == ["task", "task", "task", "error"]
    assert (replies[3]["code"], replies[3]["ref"]) == ("too_many_live_assignments", 3)
    assert Assignment.objects.filter(worker=worker).count() == 3


def test_an_overdue_assignment_is_reported_expired_and_its_slot_reoffered(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker, other = make_worker(), make_worker()

    def pass_the_deadline(assignment_id):
        Assignment.objects.filter(pk=assignment_id).update(deadline=timezone.now() - timedelta(seconds=1))
        run_sweeps()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        waiting = await Socket.open(token=other.token)
        await socket.send(type="ready")
        offered = await socket.receive()
        await waiting.send(type="ready")
        idle = await waiting.receive()
        await db(pass_the_deadline)(offered["assignment_id"])
        expired = await socket.receive()
        reoffered = await waiting.receive()
        await socket.send(type="submit", assignment_id=offered["assignment_id"], answer={"late": True})
        late = await socket.receive()
        await socket.close()
        await waiting.close()
        return offered, idle, expired, reoffered, late

    offered, idle, expired, reoffered, late = run(scenario())
    assert expired == {"type": "expired", "assignment_id": offered["assignment_id"]}
    assert idle["type"] == "idle" and reoffered["type"] == "task"
    assert reoffered["task_id"] == offered["task_id"]
    assert (late["type"], late["code"]) == ("error", "deadline_passed")
    assert Assignment.objects.get(pk=offered["assignment_id"]).answer is None


def test_expired_reaches_the_socket_without_a_hint(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()

    def expire_silently(assignment_id):
        now = timezone.now()
        Assignment.objects.filter(pk=assignment_id).update(status="expired", expired_at=now, deadline=now)

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready")
        offered = await socket.receive()
        await db(expire_silently)(offered["assignment_id"])
        expired = await socket.receive(timeout=5)
        await socket.close()
        return offered, expired

    with fast_recheck():
        offered, expired = run(scenario())
    assert expired == {"type": "expired", "assignment_id": offered["assignment_id"]}


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ("{not json", "invalid", None),
        ("[1, 2]", "invalid", None),
        ('{"type": "dance"}', "invalid", "type"),
        ('{"type": "submit", "assignment_id": "x", "answer": {}}', "invalid", "assignment_id"),
        ('{"type": "submit", "assignment_id": 1}', "invalid", "answer"),
    ],
)
def test_bad_messages_get_an_error_and_change_nothing(make_worker, frame, code, field):
    worker = make_worker()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.communicator.send_to(text_data=frame)
        reply = await socket.receive()
        await socket.close()
        return reply

    reply = run(scenario())
    assert (reply["type"], reply["code"]) == ("error", code)
    if field:
        assert field in reply["fields"]
    assert Assignment.objects.count() == 0


def test_binary_and_oversized_frames_are_refused(make_worker):
    worker = make_worker()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.communicator.send_to(bytes_data=b"\x00\x01")
        binary = await socket.receive()
        await socket.send(type="ping", padding="x" * 2000)
        oversized = await socket.receive()
        await socket.close()
        return binary, oversized

    with override_settings(MAX_REQUEST_BODY_BYTES=1000):
        binary, oversized = run(scenario())
    assert (binary["type"], binary["code"]) == ("error", "invalid")
    assert (oversized["type"], oversized["code"]) == ("error", "too_large")


def test_someone_elses_assignment_is_not_found_and_untouched(make_requester, make_worker, make_tasks):
    requester = make_requester()
    make_tasks(requester.organization, 1, slots=1)
    owner, intruder = make_worker(), make_worker()
    claimed = owner.client.post("/api/v1/worker/tasks/next").json()

    async def scenario():
        socket = await Socket.open(token=intruder.token)
        await socket.send(type="submit", assignment_id=claimed["assignment_id"], answer={"x": 1}, ref="s")
        submit = await socket.receive()
        await socket.send(type="return", assignment_id=claimed["assignment_id"], ref="r")
        returned = await socket.receive()
        await socket.close()
        return submit, returned

    submit, returned = run(scenario())
    assert (submit["code"], submit["ref"], submit["assignment_id"]) == ("not_found", "s", claimed["assignment_id"])
    assert (returned["code"], returned["ref"]) == ("not_found", "r")
    assert Assignment.objects.get(pk=claimed["assignment_id"]).status == "accepted"


def test_a_flooding_socket_is_limited_and_others_are_still_served(make_worker):
    flooder, neighbour = make_worker(), make_worker()

    async def scenario():
        noisy = await Socket.open(token=flooder.token)
        calm = await Socket.open(token=neighbour.token)
        for index in range(30):
            await noisy.send(type="ping", ref=index)
        replies = [await noisy.receive() for _ in range(30)]
        await calm.send(type="ping", ref="calm")
        calm_reply = await calm.receive()
        await noisy.close()
        await calm.close()
        return replies, calm_reply

    with override_settings(
        GROUNDWORK={**settings.GROUNDWORK, "WEBSOCKET_MESSAGE_RATE_PER_SECOND": 1.0, "WEBSOCKET_MESSAGE_BURST": 10}
    ):
        replies, calm_reply = run(scenario())
    assert [r["type"] for r in replies[:10]] == ["pong"] * 10
    assert {r["code"] for r in replies[10:] if r["type"] == "error"} == {"rate_limited"}
    assert sum(r["type"] == "error" for r in replies) >= 19
    assert calm_reply == {"type": "pong", "ref": "calm"}


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": ["ready"]}',
        "[" * 100_000,
        '{"type": "submit", "assignment_id": 1, "answer": {"x": NaN}}',
        '{"type": "ping", "ref": "\\u0000"}',
    ],
)
def test_frames_that_used_to_kill_the_socket_get_an_error_and_the_socket_lives_on(make_worker, frame):
    worker = make_worker()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.communicator.send_to(text_data=frame)
        refused = await socket.receive()
        await socket.send(type="ping", ref="still here")
        alive = await socket.receive()
        await socket.close()
        return refused, alive

    refused, alive = run(scenario())
    assert (refused["type"], refused["code"]) == ("error", "invalid")
    assert alive == {"type": "pong", "ref": "still here"}


def test_a_socket_that_closed_while_waiting_claims_nothing_afterwards(make_requester, make_worker, make_tasks):
    requester = make_requester()
    worker = make_worker()

    async def scenario():
        socket = await Socket.open(token=worker.token)
        await socket.send(type="ready")
        idle = await socket.receive()
        await socket.close()
        await db(make_tasks)(requester.organization, 1, slots=1)
        await asyncio.sleep(0.6)  # hints and a few timer ticks
        return idle

    with fast_recheck():
        idle = run(scenario())
    assert idle["type"] == "idle"
    assert Assignment.objects.count() == 0


def test_a_waiting_worker_who_joins_a_team_is_pushed_its_work(make_requester, make_worker, make_tasks):
    # given: a worker in no workteam at all, waiting
    from marketplace.services.workteams import invitation_accept, invitation_create, workteam_create

    requester = make_requester()
    team = workteam_create(owner=requester.organization, name="crew")
    worker = make_worker(join_public=False)

    def join_and_post():
        invitation_accept(invitation=invitation_create(workteam=team, worker=worker))
        make_tasks(requester.organization, 1, slots=1, workteam_id=team.pk)

    # when
    with fast_recheck():
        idle, offered = run(idle_then_offered(worker.token, join_and_post))

    # then
    assert idle["type"] == "idle"
    assert offered["type"] == "task"


def test_sockets_woken_together_claim_and_submit_together_each_getting_its_own_reply(
    make_requester, make_worker, make_tasks, monkeypatch
):
    # given: six idle sockets; the claim and submit services watched (called through)
    from marketplace.services import assignments, dispatch

    requester = make_requester()
    workers = [make_worker() for _ in range(6)]
    calls: list[tuple[str, int]] = []
    claim_many, submit_many = dispatch.assignments_claim, assignments.assignments_submit

    def watched_claim(*, workers):
        calls.append(("claim", len(workers)))
        return claim_many(workers=workers)

    def watched_submit(*, submissions):
        calls.append(("submit", len(submissions)))
        return submit_many(submissions=submissions)

    monkeypatch.setattr(dispatch, "assignments_claim", watched_claim)
    monkeypatch.setattr(assignments, "assignments_submit", watched_submit)

    async def scenario():
        sockets = [await Socket.open(token=worker.token) for worker in workers]
        for socket in sockets:
            await socket.send(type="ready", ref="r")
            assert (await socket.receive())["type"] == "idle"
        calls.clear()
        await db(lambda: make_tasks(requester.organization, 2, slots=3))()  # one hint for 6 slots
        offered = [await socket.receive() for socket in sockets]
        await asyncio.gather(
            *(
                socket.send(type="submit", assignment_id=task["assignment_id"], answer={"n": index}, ref=index)
                for index, (socket, task) in enumerate(zip(sockets, offered, strict=True))
            )
        )
        acked = [await socket.receive() for socket in sockets]
        for socket in sockets:
            await socket.close()
        return offered, acked

    # when
    offered, acked = run(scenario())

    # then: one claim call for the six woken by one hint; their answers, arriving one frame at
    # a time, in fewer calls than answers (those that came while a call ran went together)
    assert calls[0] == ("claim", 6)
    submits = [size for kind, size in calls[1:] if kind == "submit"]
    assert len(submits) == len(calls) - 1 and sum(submits) == 6 and len(submits) < 6
    assert [message["type"] for message in offered] == ["task"] * 6
    assert [(message["type"], message["ref"]) for message in acked] == [("ack", index) for index in range(6)]
    assert [message["assignment_id"] for message in acked] == [message["assignment_id"] for message in offered]
    rows = Assignment.objects.order_by("pk").values_list("task_id", "worker_id", "status", "answer")
    assert sorted((task, worker) for task, worker, _, _ in rows) == sorted(
        (message["task_id"], worker.pk) for message, worker in zip(offered, workers, strict=True)
    )
    assert {status for _, _, status, _ in rows} == {"submitted"}
    assert set(Task.objects.values_list("slots_used", "slots_submitted", "status")) == {(3, 3, "complete")}


@pytest.mark.parametrize("change", ["revoke", "rotate", "deactivate"])
def test_a_socket_closes_with_4401_once_its_credentials_no_longer_hold(make_worker, change):
    from marketplace.models import Worker
    from marketplace.services.workers import worker_token_revoke, worker_token_rotate

    worker = make_worker()
    bystander = make_worker()
    changes = {
        "revoke": lambda: worker_token_revoke(worker=worker),
        "rotate": lambda: worker_token_rotate(worker=worker),
        "deactivate": lambda: Worker.objects.filter(pk=worker.pk).update(is_active=False),
    }

    async def scenario():
        socket = await Socket.open(token=worker.token)
        other = await Socket.open(token=bystander.token)
        await socket.send(type="ping")
        assert (await socket.receive())["type"] == "pong"
        await db(changes[change])()
        closing = await socket.communicator.receive_output(timeout=5)
        await other.send(type="ping")
        still_open = (await other.receive())["type"]
        await other.close()
        return closing, still_open

    with fast_recheck():
        closing, still_open = run(scenario())
    assert closing["type"] == "websocket.close" and closing["code"] == 4401
    assert still_open == "pong"


def test_after_a_rotation_only_the_socket_with_the_old_token_is_closed(make_worker):
    from marketplace.services.workers import worker_token_rotate

    worker = make_worker()

    async def scenario():
        stale = await Socket.open(token=worker.token)
        new_token = await db(worker_token_rotate)(worker=worker)
        fresh = await Socket.open(token=new_token)
        closing = await stale.communicator.receive_output(timeout=5)
        await asyncio.sleep(0.5)  # more ticks: the fresh socket must stay open
        await fresh.send(type="ping")
        answer = (await fresh.receive())["type"]
        await fresh.close()
        return closing, answer

    with fast_recheck():
        closing, answer = run(scenario())
    assert closing["type"] == "websocket.close" and closing["code"] == 4401
    assert answer == "pong"
