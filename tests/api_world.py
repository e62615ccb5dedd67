"""A small world every operation of the REST API can reach real objects in, arranged through the
real routes and services: the OpenAPI contract test walks it, the schema fuzzing test seeds the
live server's database with it.

``World.ids(kind)`` names an object for each path parameter of the document, as seen by a
requester (``"requester"``) or a worker (``"worker"``): ``assignment_id`` is a submitted
assignment for the requester, a live one for the worker.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.test import override_settings

from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.events.outbox import record_event
from marketplace.models import Worker
from marketplace.services.organizations import CreatedOrganization, vendor_create
from marketplace.services.vendors import offering_publish, subscription_request
from tests.support.factories import client_with, new_requester, new_worker
from tests.support.worker_api import claim_and_submit, claim_assignment_id

_sequence = itertools.count(1)
SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "maxLength": 100}}, "required": ["label"]}
QUESTIONS = [
    {"input": {"text": "a purring animal"}, "answer": {"label": "cat"}},
    {"input": {"text": "a barking animal"}, "answer": {"label": "dog"}},
]


@dataclass
class World:
    requester: CreatedOrganization
    worker: Worker  # public workforce, with earnings, a live assignment and a pending invitation
    member: Worker  # a member of the requester's private team, who did work for it
    requester_key_id: int = 0  # the key ``requester.api_key`` is (never revoke it mid-walk)
    requester_ids: dict[str, int | str] = field(default_factory=dict)
    worker_ids: dict[str, int] = field(default_factory=dict)

    def ids(self, kind: str) -> dict[str, int | str]:
        return self.requester_ids if kind == "requester" else self.worker_ids


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response.content else {}


def build_world(storage_root: Path) -> World:
    """Arrange the world (commits nothing by itself: call inside the test's database)."""
    n = next(_sequence)
    requester = new_requester(f"world requester {n}", balance_micros=10_000 * 1_000_000)
    api = client_with(requester.api_key)

    def make(username: str) -> Worker:
        return new_worker(f"{username}-{n}")

    worker, member, stranger = make("world-worker"), make("world-member"), make("world-stranger")

    # work: a batch of tasks; the member and the worker answer, one answer approved (earnings)
    posted = _ok(
        api.post(
            "/api/v1/tasks",
            [{"title": f"task {i}", "reward": "2.00", "slots": 3, "answer_schema": SCHEMA} for i in range(6)],
            format="json",
        ),
        201,
    )
    approved = claim_and_submit(worker, {"label": "cat"})
    _ok(api.post(f"/api/v1/assignments/{approved}/approve"))
    submitted = claim_and_submit(member, {"label": "dog"})
    live = claim_assignment_id(worker)

    # a private team: the member in it, the worker invited (pending)
    team = _ok(api.post("/api/v1/workteams", {"name": f"world team {n}"}, format="json"), 201)
    invitation = _ok(
        api.post(f"/api/v1/workteams/{team['id']}/invitations", {"worker_id": member.pk}, format="json"), 201
    )
    _ok(client_with(member.token).post(f"/api/v1/worker/invitations/{invitation['id']}/accept"))
    pending = _ok(api.post(f"/api/v1/workteams/{team['id']}/invitations", {"worker_id": worker.pk}, format="json"), 201)

    # qualifications: a type with a test, granted to the member; a stranger blocked
    qualification = _ok(
        api.post(
            "/api/v1/qualification-types",
            {"name": f"World expert {n}", "test": {"questions": QUESTIONS, "passing_score": 50}},
            format="json",
        ),
        201,
    )
    _ok(
        api.post(
            f"/api/v1/qualification-types/{qualification['id']}/workers",
            {"worker_id": member.pk, "value": 80},
            format="json",
        ),
        201,
    )
    _ok(api.post("/api/v1/worker-blocks", {"worker_id": stranger.pk, "reason": "spam"}, format="json"), 201)

    # money and keys: a bonus, a payout asked for, a second API key
    _ok(
        api.post(
            "/api/v1/bonuses",
            {"worker_id": member.pk, "amount": "0.50", "reason": "thanks"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"world-bonus-{n}",
        ),
        201,
    )
    _ok(client_with(worker.token).post("/api/v1/worker/payouts", {"amount": "1.00"}, format="json"), 201)
    second_key = _ok(api.post("/api/v1/api-keys", {"name": "second"}, format="json"), 201)
    (own_key_id,) = [key["id"] for key in _ok(api.get("/api/v1/api-keys"))["results"] if key["id"] != second_key["id"]]

    # a vendor's offering, asked for; a labeling job on the public workforce
    vendor = vendor_create(name=f"World vendor {n}")
    offering = offering_publish(
        vendor=vendor.organization,
        name=f"world vendor team {n}",
        task_types=["text_classification"],
        languages=["en"],
        price="0.05",
        capacity=10,
    )
    subscription, _ = subscription_request(requester=requester.organization, offering=offering)
    job_id = _labeling_job(requester, api, storage_root, n)
    endpoint_id, event_id = _webhooks(requester, api)

    task_id = posted[-1]["id"]
    requester_ids = {
        "task_id": task_id,
        "batch_id": posted[0]["batch_id"],
        "assignment_id": submitted,
        "workteam_id": team["id"],
        "worker_id": member.pk,
        "invitation_id": pending["id"],
        "api_key_id": second_key["id"],
        "qualification_type_id": qualification["id"],
        "offering_id": offering.pk,
        "subscription_id": subscription.pk,
        "job_id": job_id,
        "endpoint_id": endpoint_id,
        "event_id": event_id,
    }
    worker_ids = {"assignment_id": live, "invitation_id": pending["id"], "qualification_type_id": qualification["id"]}
    return World(
        requester=requester,
        worker=worker,
        member=member,
        requester_key_id=own_key_id,
        requester_ids=requester_ids,
        worker_ids=worker_ids,
    )


def _labeling_job(requester: CreatedOrganization, api, storage_root: Path, n: int) -> int:
    folder = f"world-{requester.organization.pk}"
    storage_register(organization=requester.organization, uri_prefix=f"file://{folder}/")
    (storage_root / folder).mkdir(exist_ok=True)
    (storage_root / folder / "input.jsonl").write_text(
        "".join(json.dumps({"source": f"object {i}"}) + "\n" for i in range(3))
    )
    job = _ok(
        api.post(
            "/api/v1/labeling-jobs",
            {
                "name": f"world-job-{n}",
                "label_attribute_name": "species",
                "task_type": "text_classification",
                "input_manifest_uri": f"file://{folder}/input.jsonl",
                "output_uri": f"file://{folder}/out/",
                "label_categories": ["cat", "dog"],
                "title": "Cat or dog?",
                "workers_per_object": 1,
                "reward": "0.05",
            },
            format="json",
        ),
        201,
    )
    run_labeling_sweeps()
    return job["id"]


def _webhooks(requester: CreatedOrganization, api) -> tuple[int, str]:
    """A webhook endpoint (on this machine, where nothing listens: its deliveries fail and are
    retried) and one event of the requester's; their ids."""
    with override_settings(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        endpoint = _ok(
            api.post("/api/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/world", "events": ["*"]}, format="json"),
            201,
        )
    with transaction.atomic():
        record_event(
            organization_id=requester.organization.pk,
            event_type="task.completed",
            data={"id": 0, "title": "a world task"},
            ordering_key="task:0",
        )
    event = _ok(api.get("/api/v1/events"))["results"][-1]
    return endpoint["id"], event["id"]
