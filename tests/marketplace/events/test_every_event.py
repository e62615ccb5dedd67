"""Every event type arrives at a real receiver, signed, with ``data`` exactly as the object's
``GET`` returns it at that moment, caused by the real routes and sweeps."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from tests.support import worker_api
from tests.support.factories import client_with

from .conftest import deliver_until, make_endpoint
from .test_signing import documented_verify

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """What the receiver got, verified and parsed."""

    def __init__(self, receiver, secret: str) -> None:
        self.receiver, self.secret, self.verify = receiver, secret, documented_verify()

    def events(self) -> list[dict]:
        requests = self.receiver.at("/hook")
        for request in requests:
            assert self.verify(request.body, request.headers["groundwork-signature"], self.secret)
        return [json.loads(request.body) for request in requests]

    def wait(self, event_type: str, count: int = 1) -> list[dict]:
        def arrived() -> list[dict]:
            return [event for event in self.events() if event["type"] == event_type]

        assert deliver_until(lambda: len(arrived()) >= count), (event_type, [e["type"] for e in self.events()])
        return arrived()


def test_marketplace_events_arrive_signed_with_the_objects_as_get_returns_them(
    requester, make_worker, make_tasks, receiver
):
    # given: an endpoint for everything, workers, and a one-slot task
    endpoint, secret = make_endpoint(requester.organization, receiver.url())
    inbox = Inbox(receiver, secret)
    api = client_with(requester.api_key)
    first, second, third = make_worker(), make_worker(), make_worker()
    (task,) = make_tasks(requester.organization, 1, slots=1, labels=["cat", "dog"])

    # when: the worker submits (the task completes), the requester approves
    assignment_id = worker_api.claim_assignment_id(first)
    worker_api.submit_ok(first, assignment_id)
    (submitted,) = inbox.wait("assignment.submitted")
    (completed,) = inbox.wait("task.completed")
    task_now = api.get(f"/api/v1/tasks/{task.pk}").json()
    assert api.post(f"/api/v1/assignments/{assignment_id}/approve").status_code == 200
    (approved,) = inbox.wait("assignment.approved")

    # then
    assert completed["data"] == task_now
    assert completed["data"]["status"] == "complete"
    assert [a["status"] for a in completed["data"]["assignments"]] == ["submitted"]
    listed = {a["id"]: a for a in api.get("/api/v1/assignments").json()["results"]}
    assert approved["data"] == listed[assignment_id]
    assert submitted["data"] == {**listed[assignment_id], **_submitted_fields(submitted["data"])}
    assert (submitted["data"]["status"], approved["data"]["status"]) == ("submitted", "approved")

    # when: another task; one worker returns it, another submits and is rejected, a third
    # lets the deadline pass
    (task_b,) = make_tasks(requester.organization, 1, slots=2, labels=["cat", "dog"])
    returned_id = worker_api.claim_assignment_id(second)
    assert worker_api.give_back(second, returned_id).status_code == 200
    rejected_id = worker_api.claim_assignment_id(third)
    worker_api.submit_ok(third, rejected_id)
    assert api.post(f"/api/v1/assignments/{rejected_id}/reject").status_code == 200
    expired_id = worker_api.claim_assignment_id(first)
    Assignment.objects.filter(pk=expired_id).update(deadline=timezone.now() - timedelta(seconds=1))
    run_sweeps()

    # then
    (returned,) = inbox.wait("assignment.returned")
    (rejected,) = inbox.wait("assignment.rejected")
    (expired,) = inbox.wait("assignment.expired")
    assert (returned["data"]["id"], returned["data"]["status"]) == (returned_id, "returned")
    assert (rejected["data"]["id"], rejected["data"]["status"]) == (rejected_id, "rejected")
    assert (expired["data"]["id"], expired["data"]["status"], expired["data"]["task_id"]) == (
        expired_id,
        "expired",
        task_b.pk,
    )

    # when: a task's lifetime ends
    Task.objects.filter(pk=task_b.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    run_sweeps()

    # then
    (task_expired,) = inbox.wait("task.expired")
    assert task_expired["data"] == api.get(f"/api/v1/tasks/{task_b.pk}").json()
    assert task_expired["data"]["status"] == "expired"
    # and every event is distinct, UTC-stamped, and went to this endpoint only once
    events = inbox.events()
    assert len({e["id"] for e in events}) == len(events) == 8
    assert all(e["created"].endswith("Z") for e in events)


def _submitted_fields(data: dict) -> dict:
    # Fields that the approval changed since the submission (the list shows them approved).
    return {key: data[key] for key in ("status", "approved_at", "feedback")}


def test_labeling_job_statuses_arrive_in_order(requester, receiver, storage_root):
    # given: a job reading three texts from the local storage root
    endpoint, secret = make_endpoint(requester.organization, receiver.url(), events=["labeling_job.status_changed"])
    inbox = Inbox(receiver, secret)
    (storage_root / "acme").mkdir()
    (storage_root / "acme" / "in.jsonl").write_text(
        "".join(json.dumps({"source": f"text {i}"}) + "\n" for i in range(3))
    )
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    api = client_with(requester.api_key)
    created = api.post(
        "/api/v1/labeling-jobs",
        {
            "name": "hooked",
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "input_manifest_uri": "file://acme/in.jsonl",
            "output_uri": "file://acme/out/",
            "label_categories": ["cat", "dog"],
            "title": "Cat or dog?",
            "reward": "0.05",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]

    # when: it is ingested, stopped, and ends
    run_labeling_sweeps()
    (started,) = inbox.wait("labeling_job.status_changed")
    assert api.post(f"/api/v1/labeling-jobs/{job_id}/stop").status_code == 200
    run_labeling_sweeps()
    statuses = inbox.wait("labeling_job.status_changed", 3)

    # then: each status once, in order, each the job as its GET returned it then
    assert [e["data"]["status"] for e in statuses] == ["in_progress", "stopping", "stopped"]
    assert statuses[-1]["data"] == api.get(f"/api/v1/labeling-jobs/{job_id}").json()
    assert started["data"]["id"] == job_id
    assert {e["type"] for e in inbox.events()} == {"labeling_job.status_changed"}  # it subscribed to that only
