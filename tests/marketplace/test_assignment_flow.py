"""Every assignment and task state transition, through the worker and requester routes and the
sweeps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps

NEXT_URL = "/api/v1/worker/tasks/next"


def claim(worker):
    return worker.client.post(NEXT_URL)


def submit(worker, assignment_id, answer):
    return worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": answer}, format="json")


def give_back(worker, assignment_id):
    return worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/return")


def approve(client, assignment_id, **body):
    return client.post(f"/api/v1/assignments/{assignment_id}/approve", body, format="json")


def reject(client, assignment_id, **body):
    return client.post(f"/api/v1/assignments/{assignment_id}/reject", body, format="json")


def row(assignment_id) -> dict:
    return Assignment.objects.filter(pk=assignment_id).values().get()


def task_row(task_id) -> dict:
    return Task.objects.filter(pk=task_id).values("status", "slots", "slots_used", "slots_submitted").get()


def past() -> datetime:
    return timezone.now() - timedelta(seconds=1)


# --- claim ------------------------------------------------------------------------------------


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


# --- submit -----------------------------------------------------------------------------------


def test_submit_stores_the_answer(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, auto_approval_delay_seconds=60)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    # when
    response = submit(worker, assignment_id, {"label": "cat", "nested": {"n": [1, 2]}})
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == assignment_id
    assert data["task_id"] == task.pk
    assert data["status"] == "submitted"
    assert data["answer"] == {"label": "cat", "nested": {"n": [1, 2]}}
    assert data["submitted_at"] is not None
    stored = row(assignment_id)
    assert stored["status"] == "submitted"
    assert stored["answer"] == {"label": "cat", "nested": {"n": [1, 2]}}
    assert stored["auto_approve_at"] - stored["submitted_at"] == timedelta(seconds=60)


def test_the_identical_answer_again_is_a_200_and_changes_nothing(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    first = submit(worker, assignment_id, {"label": "cat"})
    stored = row(assignment_id)
    # when
    again = submit(worker, assignment_id, {"label": "cat"})
    # then
    assert again.status_code == 200
    assert again.json() == first.json()
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_submitted"] == 1


def test_the_identical_answer_after_approval_is_still_a_200(requester, requester_client, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"label": "cat"})
    approve(requester_client, assignment_id)
    # when
    again = submit(worker, assignment_id, {"label": "cat"})
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "approved"


def test_a_different_answer_after_submitting_is_a_409(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"label": "cat"})
    stored = row(assignment_id)
    # when
    response = submit(worker, assignment_id, {"label": "dog"})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_submitted"
    assert row(assignment_id) == stored


def test_an_answer_failing_the_schema_is_a_400_naming_the_path(requester, make_tasks, make_worker):
    # given
    schema = {
        "type": "object",
        "properties": {
            "label": {"enum": ["cat", "dog"]},
            "box": {"type": "object", "properties": {"w": {"type": "integer"}}},
        },
        "required": ["label"],
    }
    [task] = make_tasks(requester.organization, 1, answer_schema=schema)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    stored = row(assignment_id)
    # when
    wrong_label = submit(worker, assignment_id, {"label": "bird"})
    wrong_nested = submit(worker, assignment_id, {"label": "cat", "box": {"w": "wide"}})
    missing = submit(worker, assignment_id, {})
    # then
    assert wrong_label.status_code == 400
    assert wrong_label.json()["error"]["code"] == "invalid"
    assert list(wrong_label.json()["error"]["fields"]) == ["answer.label"]
    assert list(wrong_nested.json()["error"]["fields"]) == ["answer.box.w"]
    assert missing.status_code == 400
    assert list(missing.json()["error"]["fields"]) == ["answer"]
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_submitted"] == 0
    assert submit(worker, assignment_id, {"label": "cat", "box": {"w": 3}}).status_code == 200


@pytest.mark.parametrize("body", [{"answer": "cat"}, {"answer": ["cat"]}, {"answer": None}, {}, ["cat"]])
def test_an_answer_that_is_not_an_object_is_a_400(requester, make_tasks, make_worker, body):
    # given
    make_tasks(requester.organization, 1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    stored = row(assignment_id)
    # when
    response = worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["answer"]
    assert row(assignment_id) == stored


def test_submitting_a_missing_assignment_is_a_404(make_worker):
    # when
    response = submit(make_worker(), 999999, {})
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- return -----------------------------------------------------------------------------------


def test_return_frees_the_slot_for_another_worker(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    first, second = make_worker(), make_worker()
    assignment_id = claim(first).json()["assignment_id"]
    assert claim(second).status_code == 204
    assert task_row(task.pk)["status"] == "full"
    # when
    response = give_back(first, assignment_id)
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "returned"
    assert response.json()["returned_at"] is not None
    assert task_row(task.pk) == {"status": "open", "slots": 1, "slots_used": 0, "slots_submitted": 0}
    assert claim(first).status_code == 204  # never the same task twice
    taken = claim(second)
    assert taken.status_code == 200
    assert taken.json()["task_id"] == task.pk
    assert task_row(task.pk)["status"] == "full"


def test_returning_twice_is_a_200(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    give_back(worker, assignment_id)
    stored = row(assignment_id)
    # when
    again = give_back(worker, assignment_id)
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "returned"
    assert row(assignment_id) == stored
    assert task_row(task.pk)["slots_used"] == 0


def test_return_after_submit_is_a_409(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    submit(worker, assignment_id, {"x": 1})
    stored, task_before = row(assignment_id), task_row(task.pk)
    # when
    response = give_back(worker, assignment_id)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_submitted"
    assert row(assignment_id) == stored
    assert task_row(task.pk) == task_before


def test_submit_after_return_is_a_409(requester, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    give_back(worker, assignment_id)
    stored = row(assignment_id)
    # when
    response = submit(worker, assignment_id, {"x": 1})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_live"
    assert row(assignment_id) == stored


# --- expiry -----------------------------------------------------------------------------------


def test_the_sweep_expires_an_overdue_assignment_and_frees_its_slot(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    first, second = make_worker(), make_worker()
    assignment_id = claim(first).json()["assignment_id"]
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    # when
    report = run_sweeps()
    # then
    assert report.assignments_expired == 1
    stored = row(assignment_id)
    assert stored["status"] == "expired"
    assert stored["expired_at"] is not None
    assert task_row(task.pk) == {"status": "open", "slots": 1, "slots_used": 0, "slots_submitted": 0}
    assert claim(first).status_code == 204  # never the same task twice, expired or not
    assert claim(second).json()["task_id"] == task.pk


def test_a_late_submit_after_the_sweep_is_a_409_and_changes_nothing(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    run_sweeps()
    stored, task_before = row(assignment_id), task_row(task.pk)
    # when
    response = submit(worker, assignment_id, {"x": 1})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"
    assert row(assignment_id) == stored
    assert task_row(task.pk) == task_before


def test_a_late_submit_before_the_sweep_is_a_409_and_changes_nothing(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    stored, task_before = row(assignment_id), task_row(task.pk)
    # when
    response = submit(worker, assignment_id, {"x": 1})
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "deadline_passed"
    assert row(assignment_id) == stored
    assert stored["status"] == "accepted"
    assert task_row(task.pk) == task_before


def test_running_the_sweeps_twice_changes_nothing_more(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    run_sweeps()
    stored, task_before = row(assignment_id), task_row(task.pk)
    # when
    report = run_sweeps()
    # then
    assert (report.assignments_expired, report.tasks_expired, report.assignments_auto_approved) == (0, 0, 0)
    assert row(assignment_id) == stored
    assert task_row(task.pk) == task_before == {"status": "open", "slots": 2, "slots_used": 0, "slots_submitted": 0}


def test_a_claim_expires_the_workers_own_overdue_assignments(requester, make_tasks, make_worker, settings):
    # given
    settings.GROUNDWORK = {**settings.GROUNDWORK, "MAX_LIVE_ASSIGNMENTS_PER_WORKER": 1}
    make_tasks(requester.organization, 2, slots=1)
    worker = make_worker()
    overdue = claim(worker).json()["assignment_id"]
    Assignment.objects.filter(pk=overdue).update(deadline=past())
    # when
    response = claim(worker)
    # then
    assert response.status_code == 200
    assert row(overdue)["status"] == "expired"


# --- approve / reject ------------------------------------------------------------------------


def submitted_assignment(requester, make_tasks, make_worker, **task_fields) -> tuple[int, object]:
    make_tasks(requester.organization, 1, **task_fields)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    assert submit(worker, assignment_id, {"label": "cat"}).status_code == 200
    return assignment_id, worker


def test_approve_stores_status_and_feedback(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    # when
    response = approve(requester_client, assignment_id, feedback="well done")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "approved"
    assert data["feedback"] == "well done"
    assert data["approved_at"] is not None
    assert data["rejected_at"] is None
    stored = row(assignment_id)
    assert (stored["status"], stored["feedback"]) == ("approved", "well done")


def test_approve_without_a_body(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    # when
    response = requester_client.post(f"/api/v1/assignments/{assignment_id}/approve")
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["feedback"]) == ("approved", "")


def test_approving_twice_is_a_200_that_changes_nothing(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    first = approve(requester_client, assignment_id, feedback="good")
    stored = row(assignment_id)
    # when
    again = approve(requester_client, assignment_id, feedback="good")
    # then
    assert again.status_code == 200
    assert again.json() == first.json()
    assert row(assignment_id) == stored


def test_reject_after_approve_is_a_409(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    approve(requester_client, assignment_id)
    stored = row(assignment_id)
    # when
    response = reject(requester_client, assignment_id, feedback="changed my mind")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_settled"
    assert row(assignment_id) == stored


def test_approve_after_reject_is_a_409(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    reject(requester_client, assignment_id)
    stored = row(assignment_id)
    # when
    response = approve(requester_client, assignment_id)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_settled"
    assert row(assignment_id) == stored


def test_reject_stores_feedback_and_keeps_the_slot_used(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker, slots=1)
    task_id = row(assignment_id)["task_id"]
    # when
    response = reject(requester_client, assignment_id, feedback="blurry")
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["feedback"]) == ("rejected", "blurry")
    assert response.json()["rejected_at"] is not None
    assert reject(requester_client, assignment_id, feedback="blurry").status_code == 200
    assert task_row(task_id) == {"status": "complete", "slots": 1, "slots_used": 1, "slots_submitted": 1}
    assert claim(make_worker()).status_code == 204


def test_approving_an_accepted_assignment_is_a_409(requester, requester_client, make_tasks, make_worker):
    # given
    make_tasks(requester.organization, 1)
    assignment_id = claim(make_worker()).json()["assignment_id"]
    stored = row(assignment_id)
    # when
    approved = approve(requester_client, assignment_id)
    rejected = reject(requester_client, assignment_id)
    # then
    assert approved.status_code == rejected.status_code == 409
    assert approved.json()["error"]["code"] == rejected.json()["error"]["code"] == "not_submitted"
    assert row(assignment_id) == stored


def test_feedback_that_is_not_a_string_is_a_400(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    stored = row(assignment_id)
    # when
    response = approve(requester_client, assignment_id, feedback=5)
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["feedback"]
    assert row(assignment_id) == stored


def test_the_sweep_auto_approves_once_the_delay_passed(requester, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker, auto_approval_delay_seconds=3600)
    not_yet = run_sweeps()
    assert not_yet.assignments_auto_approved == 0
    assert row(assignment_id)["status"] == "submitted"
    Assignment.objects.filter(pk=assignment_id).update(auto_approve_at=past())
    # when
    report = run_sweeps()
    # then
    assert report.assignments_auto_approved == 1
    stored = row(assignment_id)
    assert stored["status"] == "approved"
    assert stored["approved_at"] is not None
    assert run_sweeps().assignments_auto_approved == 0


def test_the_auto_approval_sweep_leaves_a_rejected_assignment(requester, requester_client, make_tasks, make_worker):
    # given
    assignment_id, _ = submitted_assignment(requester, make_tasks, make_worker)
    reject(requester_client, assignment_id)
    Assignment.objects.filter(pk=assignment_id).update(auto_approve_at=past())
    stored = row(assignment_id)
    # when
    report = run_sweeps()
    # then
    assert report.assignments_auto_approved == 0
    assert row(assignment_id) == stored


# --- task lifetime, stopped tasks ------------------------------------------------------------


def test_the_sweep_expires_a_task_whose_lifetime_ended(requester, make_tasks, make_worker):
    # given
    [task, other] = make_tasks(requester.organization, 2, slots=2)
    Task.objects.filter(pk=task.pk).update(expires_at=past())
    # when
    report = run_sweeps()
    # then
    assert report.tasks_expired == 1
    assert task_row(task.pk)["status"] == "expired"
    assert Task.objects.get(pk=task.pk).closed_at is not None
    assert task_row(other.pk)["status"] == "open"
    assert claim(make_worker()).json()["task_id"] == other.pk


def test_a_task_past_its_lifetime_is_not_offered_before_the_sweep(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1)
    Task.objects.filter(pk=task.pk).update(expires_at=past())
    # when
    response = claim(make_worker())
    # then
    assert response.status_code == 204
    assert Assignment.objects.count() == 0


def test_a_live_assignment_on_an_expired_task_can_still_be_submitted(requester, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=2)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    Task.objects.filter(pk=task.pk).update(expires_at=past())
    run_sweeps()
    assert task_row(task.pk)["status"] == "expired"
    # when
    response = submit(worker, assignment_id, {"x": 1})
    # then
    assert response.status_code == 200
    assert row(assignment_id)["status"] == "submitted"
    assert task_row(task.pk) == {"status": "expired", "slots": 2, "slots_used": 1, "slots_submitted": 1}
    assert claim(make_worker()).status_code == 204


def test_a_stopped_task_takes_no_claims_but_live_work_is_submitted(
    requester, requester_client, make_tasks, make_worker
):
    # given
    [task] = make_tasks(requester.organization, 1, slots=3)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    requester_client.post(f"/api/v1/tasks/{task.pk}/stop")
    # when
    refused = claim(make_worker())
    submitted = submit(worker, assignment_id, {"x": 1})
    # then
    assert refused.status_code == 204
    assert submitted.status_code == 200
    assert task_row(task.pk) == {"status": "stopped", "slots": 3, "slots_used": 1, "slots_submitted": 1}
    assert Assignment.objects.count() == 1


def test_a_return_on_a_stopped_task_keeps_it_stopped(requester, requester_client, make_tasks, make_worker):
    # given
    [task] = make_tasks(requester.organization, 1, slots=1)
    worker = make_worker()
    assignment_id = claim(worker).json()["assignment_id"]
    requester_client.post(f"/api/v1/tasks/{task.pk}/stop")
    # when
    response = give_back(worker, assignment_id)
    # then
    assert response.status_code == 200
    assert task_row(task.pk) == {"status": "stopped", "slots": 1, "slots_used": 0, "slots_submitted": 0}
    assert claim(make_worker()).status_code == 204


# --- live-assignment cap -----------------------------------------------------------------------


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


# --- order: priority within a requester, fairness across requesters ----------------------------


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
