"""Approving and rejecting submitted work."""

from __future__ import annotations

from marketplace.models import Assignment
from marketplace.services.sweeps import run_sweeps
from tests.marketplace.assignment_flow.helpers import approve, past, reject, row, task_row
from tests.support.worker_api import claim, submit


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
