"""The worker API's additions for the console: ``me.pending`` (with its automatic approval
dates) and the work available now, per workteam and requester, by dispatch's eligibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment
from marketplace.services.blocks import worker_block
from marketplace.services.dispatch import assignment_claim
from marketplace.services.workteams import invitation_accept, invitation_create, workteam_create
from tests.portal.vendor_world import make_vendor, subscribe
from tests.portal.vendor_world import make_worker as make_vendor_worker
from tests.support.factories import client_with
from tests.support.worker_api import submit_ok

pytestmark = pytest.mark.django_db


def answered_assignment(worker, answer=None) -> Assignment:
    """The worker claims (through the service) and submits ``answer`` over REST: the assignment."""
    assignment = assignment_claim(worker=worker)
    submit_ok(worker, assignment.pk, answer or {"label": "cat"})
    return Assignment.objects.get(pk=assignment.pk)


def test_me_pending_is_submitted_work_not_yet_approved(make_requester, make_worker, make_tasks):
    # given: two answers submitted (0.05 and 0.10), one of them then approved
    requester = make_requester()
    worker = make_worker()
    make_tasks(requester.organization, 1, reward="0.10", priority=10, auto_approval_delay_seconds=3600)
    make_tasks(requester.organization, 1, reward="0.05", auto_approval_delay_seconds=7200)
    make_tasks(requester.organization, 1, reward="0.07", auto_approval_delay_seconds=7200)
    first, second, third = (answered_assignment(worker) for _ in range(3))
    approved = requester_client_approve(requester, third)

    # when
    me = worker.client.get("/api/v1/worker/me").json()

    # then: pending counts the two unapproved; approved money is in earnings
    assert approved.status_code == 200
    assert (me["pending"], me["earnings"], me["paid_out"]) == ("0.15", "0.07", "0.00")
    assert me["pending_next_auto_approval_at"] == first.auto_approve_at.isoformat().replace("+00:00", "Z")
    assert me["pending_last_auto_approval_at"] == second.auto_approve_at.isoformat().replace("+00:00", "Z")
    assert second.auto_approve_at - first.auto_approve_at > timedelta(minutes=59)


def requester_client_approve(requester, assignment):
    return client_with(requester.api_key).post(f"/api/v1/assignments/{assignment.pk}/approve", {}, format="json")


def test_me_pending_leaves_out_vendor_team_work(make_requester):
    # given: a vendor's worker answered a task on the vendor's team (the vendor is paid)
    requester = make_requester()
    vendor = make_vendor()
    subscribe(requester, vendor)
    worker = make_vendor_worker(vendor)
    from marketplace.inputs.tasks import task_spec
    from marketplace.services.tasks import tasks_post

    tasks_post(
        requester=requester.organization,
        specs=[task_spec({"title": "vendor work", "workteam_id": vendor.workteam.pk, "input": {"n": 1}})],
    )
    answered_assignment(worker, {"n": 1})

    me = worker.client.get("/api/v1/worker/me").json()

    assert me["pending"] == "0.00" and me["pending_last_auto_approval_at"] is None


def test_available_work_groups_by_workteam_and_requester_with_dispatch_rules(make_requester, make_worker, make_tasks):
    # given: two requesters on the public workforce, a private team of the first, a blocking third
    first, second, blocker = make_requester("First Co"), make_requester("Second Co"), make_requester("Blocker")
    worker = make_worker()
    team = workteam_create(owner=first.organization, name="First's team")
    invitation_accept(invitation=invitation_create(workteam=team, worker=worker))
    make_tasks(first.organization, 3, reward="0.05", title="Is it a cat?", assignment_duration_seconds=600)
    make_tasks(first.organization, 2, reward="0.20", title="Private review", workteam_id=team.pk, priority=5)
    make_tasks(second.organization, 1, reward="0.03", title="Second's task")
    make_tasks(blocker.organization, 4, reward="0.50", title="Blocked work")
    worker_block(requester=blocker.organization, worker=worker, reason="spam")
    assignment_claim(worker=worker)  # the private task (priority 5) held: no longer counted
    make_tasks(first.organization, 1, title="Expired", lifetime_seconds=30)
    from marketplace.models import Task

    Task.objects.filter(title="Expired").update(expires_at=timezone.now() - timedelta(seconds=1))

    # when
    response = worker.client.get("/api/v1/worker/available-work")

    # then
    assert response.status_code == 200
    groups = {(g["requester_name"], g["workteam_kind"]): g for g in response.json()["results"]}
    assert set(groups) == {("First Co", "public"), ("First Co", "private"), ("Second Co", "public")}
    public, private = groups[("First Co", "public")], groups[("First Co", "private")]
    assert (public["open_tasks"], public["reward"], public["assignment_duration_seconds"]) == (3, "0.05", 600)
    assert (public["title"], public["task_type"]) == ("Is it a cat?", "custom")
    assert (private["open_tasks"], private["reward"], private["workteam_name"]) == (1, "0.20", "First's team")
    assert groups[("Second Co", "public")]["open_tasks"] == 1
    assert [g["requester_name"] for g in response.json()["results"]][0] == "First Co"  # most open tasks first
    assert response.json()["next"] is None
    assert not any(g["requester_name"] == "Blocker" for g in response.json()["results"])


def test_available_work_is_for_workers_only(requester_client):
    assert requester_client.get("/api/v1/worker/available-work").status_code == 403
