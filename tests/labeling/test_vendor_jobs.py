"""A labeling job on a subscribed vendor team: priced by the offering, its batch fixing the
price, and the vendor earning it."""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register
from marketplace.models import Batch, Task, VendorSubscription
from marketplace.services.organizations import vendor_create
from marketplace.services.vendors import offering_publish, offering_update, subscription_accept, subscription_request

from .jobs_lifecycle.helpers import job_body, post_job, start_job


@pytest.fixture
def bucket(s3, requester):
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3


@pytest.fixture
def offering(requester):
    vendor = vendor_create(name="Acme").organization
    offering = offering_publish(
        vendor=vendor, name="Text team", task_types=["text_classification"], languages=["en"], price="0.07", capacity=10
    )
    subscription, _ = subscription_request(requester=requester.organization, offering=offering)
    subscription_accept(subscription=subscription)
    return offering


def test_a_job_on_a_vendor_team_takes_the_offerings_price(requester, bucket, offering):
    body = job_body(bucket, workteam_id=offering.workteam_id)
    del body["reward"]
    job = start_job(requester, body)
    offering_update(offering=offering, price="0.30")  # after creation: the job keeps its price
    assert job["reward"] == "0.07"
    batch = Batch.objects.get(pk=job["batch_id"])
    assert batch.vendor_price_micros == 70_000
    assert set(Task.objects.filter(batch=batch).values_list("reward_micros", flat=True)) == {70_000}


def test_a_different_reward_on_a_vendor_team_is_a_400(requester, bucket, offering):
    response = post_job(requester, job_body(bucket, workteam_id=offering.workteam_id, reward="0.05"))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "reward": ["must be left out or equal the vendor offering's price (0.07)"]
    }


def test_a_job_without_a_reward_elsewhere_is_a_400(requester, bucket):
    body = job_body(bucket)
    del body["reward"]
    assert post_job(requester, body).json()["error"]["fields"] == {"reward": ["is required"]}


def test_a_vendor_team_without_an_active_subscription_is_not_targetable(requester, bucket, offering):
    VendorSubscription.objects.update(status=VendorSubscription.Status.CANCELLED)
    response = post_job(requester, job_body(bucket, workteam_id=offering.workteam_id))
    assert response.json()["error"]["fields"] == {"workteam_id": ["no such workteam"]}


def test_a_job_whose_subscription_ends_before_it_starts_fails_having_reserved_nothing(requester, bucket, offering):
    from labeling.services.sweeps import run_labeling_sweeps
    from marketplace.selectors.ledger import requester_balance

    from .jobs_lifecycle.helpers import create_job, get_job

    before = requester_balance(requester.organization)
    job = create_job(requester, job_body(bucket, workteam_id=offering.workteam_id, reward="0.07"))
    VendorSubscription.objects.update(status=VendorSubscription.Status.CANCELLED)
    run_labeling_sweeps()
    ended = get_job(requester, job["id"])
    assert ended["status"] == "failed" and ended["failure_reason"].startswith("workteam_not_targetable")
    assert Task.objects.count() == 0 and requester_balance(requester.organization) == before
