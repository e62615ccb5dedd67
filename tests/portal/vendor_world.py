"""Arranging a vendor's world for portal tests, through the real services and API routes: a
vendor with a team, a subscribed requester, a labeling job posted to the team (its manifest in a
``file://`` folder of a per-test storage root), workers that claim and answer over the worker
REST API, and the requester approving (which pays the vendor through the ledger).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Organization, VendorOffering, Workteam
from marketplace.services.organizations import CreatedOrganization, vendor_create
from marketplace.services.vendors import offering_publish, subscription_accept, subscription_request
from marketplace.services.workers import vendor_worker_create
from tests.support import worker_api
from tests.support.factories import client_with

from .conftest import signed_in

LABELS = ["cat", "dog"]
_sequence = itertools.count(1)


@dataclass(frozen=True)
class Vendor:
    created: CreatedOrganization
    offering: VendorOffering

    @property
    def workteam(self) -> Workteam:
        return self.offering.workteam

    @property
    def organization(self) -> Organization:
        return self.created.organization

    def client(self):
        return signed_in(self.created.admin_username, self.created.admin_password)


def make_vendor(
    name: str = "Acme Labeling", *, team_name: str = "Acme text team", price: str = "0.05", capacity: int = 50
) -> Vendor:
    """A vendor with one offering (and so one workteam) for text classification."""
    created = vendor_create(name=name)
    offering = offering_publish(
        vendor=created.organization,
        name=team_name,
        task_types=["text_classification"],
        languages=["en"],
        price=price,
        capacity=capacity,
    )
    return Vendor(created=created, offering=offering)


def subscribe(requester: CreatedOrganization, vendor: Vendor) -> None:
    """The requester subscribes to the vendor's offering and the vendor accepts."""
    subscription, _ = subscription_request(requester=requester.organization, offering=vendor.offering)
    subscription_accept(subscription=subscription)


def make_worker(vendor: Vendor, username: str | None = None):
    """A worker the vendor manages, in its team, with a REST client."""
    worker, token = vendor_worker_create(
        vendor=vendor.organization, username=username or f"vw-{next(_sequence)}", workteam=vendor.workteam
    )
    worker.token = token
    worker.client = client_with(token)
    return worker


def texts(n: int) -> list[dict]:
    return [{"source": f"object {i}: {LABELS[i % 2]}"} for i in range(n)]


def post_job(
    requester: CreatedOrganization,
    vendor: Vendor | None,
    storage_root: Path,
    *,
    name: str = "job-1",
    lines: list[dict] | None = None,
    gold_lines: list[dict] | None = None,
    **overrides,
) -> LabelingJob:
    """A text classification job for ``vendor``'s team (the public workforce when ``None``),
    ingested (``in_progress``); ``gold_lines`` make a gold manifest."""
    folder = f"req-{requester.organization.pk}"
    storage_register(organization=requester.organization, uri_prefix=f"file://{folder}/")
    (storage_root / folder).mkdir(exist_ok=True)
    (storage_root / folder / f"{name}.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in (texts(4) if lines is None else lines))
    )
    if gold_lines:
        gold_text = "".join(json.dumps(line) + "\n" for line in gold_lines)
        (storage_root / folder / f"{name}-gold.jsonl").write_text(gold_text)
        overrides["gold_manifest_uri"] = f"file://{folder}/{name}-gold.jsonl"
    body = {
        "name": name,
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "input_manifest_uri": f"file://{folder}/{name}.jsonl",
        "output_uri": f"file://{folder}/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "workers_per_object": 1,
        **({"reward": "0.05"} if vendor is None else {"workteam_id": vendor.workteam.pk}),
        **overrides,
    }
    response = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    job = LabelingJob.objects.select_related("batch").get(pk=response.json()["id"])
    assert job.status == LabelingJob.Status.IN_PROGRESS, job.failure_reason
    return job


def answer_next(worker, choose=lambda task_input: {"label": task_input["source"].rsplit(": ", 1)[1]}) -> int | None:
    """Claim one task and answer it; the assignment id, or None when nothing was offered."""
    offer = worker_api.answer_next(worker, lambda offer: choose(offer["input"]))
    return None if offer is None else offer["assignment_id"]


def approve(requester: CreatedOrganization, assignment_id: int) -> None:
    response = client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/approve")
    assert response.status_code == 200, response.content


def page_text(response) -> str:
    """The page with its CSRF token blanked (Django masks it differently on every render)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
