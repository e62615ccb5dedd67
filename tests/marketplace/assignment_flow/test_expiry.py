"""Expiry of assignments, task lifetimes and stopped tasks."""

from __future__ import annotations

from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from tests.marketplace.assignment_flow.helpers import past, row, task_row
from tests.support.worker_api import claim, give_back, submit


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
