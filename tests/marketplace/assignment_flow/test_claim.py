"""Claiming: what is offered, the live-assignment cap, and the order (priority within a requester,
fairness across requesters)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from marketplace.api.serializers.assignments import WorkerTaskSerializer
from marketplace.models import Assignment, Task
from tests.marketplace.assignment_flow.helpers import task_row
from tests.support.worker_api import claim, submit


def test_claim_gives_the_task_payload(requester, make_tasks, make_worker):
    # given
    schema = {"type": "object", "properties": {"label": {"enum": ["cat", "dog"]}}, "required": ["label"]}
    [task] = make_tasks(
        requester.organization,
        1,
        input={"text": "a cat"},
        labels=["cat", "dog"],
        instructions="Pick one",
        answer_schema=schema,
        assignment_duration_seconds=600,
        reward="0.036",
    )
    worker = make_worker()
    before = timezone.now()
    # when
    response = claim(worker)
    # then
    assert response.status_code == 200
    data = response.json()
    assignment = Assignment.objects.get()
    assert data["assignment_id"] == assignment.pk
    assert data["task_id"] == task.pk
    assert data["task_type"] == "custom"
    assert data["input"] == {"text": "a cat"}
    assert data["labels"] == ["cat", "dog"]
    assert data["instructions"] == "Pick one"
    assert data["answer_schema"] == schema
    assert data["reward"] == "0.036"
    assert datetime.fromisoformat(data["deadline"]) == assignment.deadline
    assert before + timedelta(seconds=600) <= assignment.deadline <= timezone.now() + timedelta(seconds=600)
    assert assignment.worker_id == worker.pk
    assert assignment.status == Assignment.Status.ACCEPTED
    assert assignment.accepted_at is not None
    assert task_row(task.pk) == {"status": "full", "slots": 1, "slots_used": 1, "slots_submitted": 0}


def test_the_task_payload_is_what_drfs_walk_over_its_fields_gives(requester, make_tasks, make_worker):
    # given: a task with every field of the payload set, claimed
    [task] = make_tasks(
        requester.organization,
        1,
        input={"text": "ünïcode \u2028 text", "n": [1, 2.5, None]},
        labels=["cat", "dog"],
        instructions="Pick one",
        description="a description",
        answer_schema={"type": "object"},
        reward="0.036",
    )
    assert claim(make_worker()).status_code == 200
    assignment = Assignment.objects.select_related("task").get(task=task)
    serializer = WorkerTaskSerializer()
    # when
    direct = serializer.to_representation(assignment)
    # then: the same keys in the same order, the same values
    generic = serializers.Serializer.to_representation(serializer, assignment)
    assert list(direct.items()) == list(generic.items())


def test_claim_with_nothing_available_is_a_204(make_worker):
    # given
    worker = make_worker()
    # when
    response = claim(worker)
    # then
    assert response.status_code == 204
    assert response.content == b""
    assert Assignment.objects.count() == 0


def test_a_worker_never_gets_the_same_task_twice(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=5)
    worker = make_worker()
    first = claim(worker)
    # when
    second = claim(worker)
    # then
    assert first.status_code == 200
    assert second.status_code == 204
    assert Assignment.objects.filter(task=task, worker=worker).count() == 1
    assert task_row(task.pk)["slots_used"] == 1


def test_a_task_is_never_given_beyond_its_slots(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    workers = [make_worker() for _ in range(3)]
    # when
    responses = [claim(worker) for worker in workers]
    # then
    assert [r.status_code for r in responses] == [200, 200, 204]
    assert Assignment.objects.filter(task=task).count() == 2
    assert task_row(task.pk) == {"status": "full", "slots": 2, "slots_used": 2, "slots_submitted": 0}


def test_task_goes_open_full_complete(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    a, b = make_worker(), make_worker()
    # when / then
    first = claim(a).json()["assignment_id"]
    assert task_row(task.pk)["status"] == "open"
    second = claim(b).json()["assignment_id"]
    assert task_row(task.pk)["status"] == "full"
    submit(a, first, {"x": 1})
    assert task_row(task.pk) == {"status": "full", "slots": 2, "slots_used": 2, "slots_submitted": 1}
    submit(b, second, {"x": 2})
    assert task_row(task.pk) == {"status": "complete", "slots": 2, "slots_used": 2, "slots_submitted": 2}


def test_a_worker_gets_each_task_once_then_204(requester, make_tasks, make_worker):
    # given
    tasks = make_tasks(requester.organization, 2, slots=3)
    worker = make_worker()
    # when
    first = claim(worker).json()
    submit(worker, first["assignment_id"], {})
    second = claim(worker).json()
    submit(worker, second["assignment_id"], {})
    third = claim(worker)
    # then
    assert {first["task_id"], second["task_id"]} == {t.pk for t in tasks}
    assert third.status_code == 204


def test_the_fourth_live_assignment_is_a_409(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 5)
    worker = make_worker()
    held = [claim(worker).status_code for _ in range(3)]
    tasks_before = sorted(Task.objects.values_list("pk", "status", "slots_used"))
    # when
    response = claim(worker)
    # then
    assert held == [200, 200, 200]
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_live_assignments"
    assert Assignment.objects.filter(worker=worker).count() == 3
    assert sorted(Task.objects.values_list("pk", "status", "slots_used")) == tasks_before


def test_submitting_one_makes_room_under_the_cap(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 5)
    worker = make_worker()
    first = claim(worker).json()["assignment_id"]
    claim(worker)
    claim(worker)
    submit(worker, first, {})
    # when
    response = claim(worker)
    # then
    assert response.status_code == 200
    assert Assignment.objects.filter(worker=worker, status="accepted").count() == 3


def test_the_cap_is_a_setting(requester, make_tasks, make_worker, settings):
    # given
    settings.GROUNDWORK = {**settings.GROUNDWORK, "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 1}
    make_tasks(requester.organization, 2)
    worker = make_worker()
    claim(worker)
    # when
    response = claim(worker)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_live_assignments"
    assert Assignment.objects.count() == 1


def test_priority_orders_work_within_a_requester(requester, make_tasks, make_worker, settings):
    # given
    settings.GROUNDWORK = {**settings.GROUNDWORK, "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 10}
    low = make_tasks(requester.organization, 1, priority=0)[0]
    high = make_tasks(requester.organization, 1, priority=90)[0]
    mid_old = make_tasks(requester.organization, 1, priority=50)[0]
    mid_new = make_tasks(requester.organization, 1, priority=50)[0]
    worker = make_worker()
    # when
    order = [claim(worker).json()["task_id"] for _ in range(4)]
    # then
    assert order == [high.pk, mid_old.pk, mid_new.pk, low.pk]


def test_requesters_are_served_fairly(make_requester, make_tasks, make_worker, settings):
    # given
    settings.GROUNDWORK = {**settings.GROUNDWORK, "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 10}
    busy, small = make_requester(), make_requester()
    busy_tasks = make_tasks(busy.organization, 4, priority=100)
    small_tasks = make_tasks(small.organization, 2, priority=0)
    owner = {t.pk: "busy" for t in busy_tasks} | {t.pk: "small" for t in small_tasks}
    worker = make_worker()
    # when
    order = [owner[claim(worker).json()["task_id"]] for _ in range(6)]
    # then
    assert order == ["busy", "small", "busy", "small", "busy", "busy"]


def test_the_requester_served_least_recently_goes_first(make_requester, make_tasks, make_worker):
    # given
    first, second = make_requester(), make_requester()
    make_tasks(first.organization, 3, slots=3)
    make_tasks(second.organization, 3, slots=3)
    a, b, c = make_worker(), make_worker(), make_worker()
    # when: three different workers claim one after another
    owners = []
    for worker in (a, b, c):
        task_id = claim(worker).json()["task_id"]
        owners.append(Task.objects.get(pk=task_id).requester_id)
    # then
    assert owners == [first.organization.pk, second.organization.pk, first.organization.pk]
