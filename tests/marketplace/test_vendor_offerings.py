"""Vendor offerings and subscriptions (issue #7, marketplace side): publishing, subscribing over
the API, targeting a subscribed vendor team at the offering's price, the vendor paid, capacity
enforced by dispatch (under concurrency on PostgreSQL), and tenancy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import override_settings

from marketplace.models import Assignment, LedgerAccount, Task, VendorSubscription
from marketplace.selectors.ledger import account_balance_micros
from marketplace.services.organizations import vendor_create
from marketplace.services.vendors import (
    offering_publish,
    offering_update,
    offering_withdraw,
    subscription_accept,
    subscription_decline,
)
from marketplace.services.workteams import workteam_add_member
from tests.conftest import needs_postgres
from tests.marketplace.test_ledger_concurrency import UNLIMITED, run_at_once
from tests.support.factories import client_with
from tests.support.worker_api import claim

pytestmark = pytest.mark.django_db

DOLLARS = 1_000_000


@pytest.fixture
def vendor():
    return vendor_create(name="Acme Labeling").organization


@pytest.fixture
def offering(vendor):
    return offering_publish(
        vendor=vendor,
        name="Acme text team",
        description="English and Spanish text",
        task_types=["custom"],
        languages=["en", "es"],
        price="0.08",
        capacity=2,
    )


def subscribed(requester, offering):
    response = requester.client.post("/api/v1/vendor-subscriptions", {"offering_id": offering.pk}, format="json")
    assert response.status_code == 201, response.json()
    subscription = VendorSubscription.objects.get(pk=response.json()["id"])
    subscription_accept(subscription=subscription)
    return subscription


def with_client(created) -> SimpleNamespace:
    return SimpleNamespace(organization=created.organization, client=client_with(created.api_key))


@pytest.fixture
def buyer(make_requester):
    return with_client(make_requester())


def post_to(requester, workteam_id, **fields):
    body = {"title": "transcribe", "workteam_id": workteam_id, "slots": 1, **fields}
    return requester.client.post("/api/v1/tasks", body, format="json")


def test_publishing_names_every_bad_field(vendor):
    from marketplace.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        offering_publish(vendor=vendor, name="", task_types=["painting"], languages=["english"], price="0", capacity=0)
    assert set(raised.value.fields) == {"name", "task_types", "languages", "price", "capacity"}


def test_languages_are_normalised_and_the_workteam_follows_the_name(offering):
    changed = offering_update(offering=offering, languages=["PT-br", "en"], name="Renamed team")
    assert changed.languages == ["en", "pt-BR"]
    assert changed.workteam.name == "Renamed team" and changed.workteam.kind == "vendor"


def test_requesters_list_offerings_and_filter_them(buyer, offering, vendor):
    other = offering_publish(
        vendor=vendor, name="Images", task_types=["custom"], languages=["fr"], price="0.2", capacity=5
    )
    offering_withdraw(offering=other)
    listed = buyer.client.get("/api/v1/vendor-offerings").json()["results"]
    assert [row["id"] for row in listed] == [offering.pk]
    assert listed[0]["price"] == "0.08" and listed[0]["vendor_name"] == "Acme Labeling"
    assert buyer.client.get("/api/v1/vendor-offerings?language=fr").json()["results"] == []
    assert buyer.client.get("/api/v1/vendor-offerings?task_type=nope").status_code == 400
    assert buyer.client.get(f"/api/v1/vendor-offerings/{other.pk}").status_code == 404


def test_a_team_is_targetable_only_once_the_vendor_accepts(buyer, offering):
    listed = {row["id"] for row in buyer.client.get("/api/v1/workteams").json()["results"]}
    assert offering.workteam_id not in listed
    assert post_to(buyer, offering.workteam_id).json()["error"]["fields"] == {"workteam_id": ["no such workteam"]}
    first = buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": offering.pk}, format="json")
    again = buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": offering.pk}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["status"] == "pending"
    assert post_to(buyer, offering.workteam_id).status_code == 400
    subscription_accept(subscription=VendorSubscription.objects.get(pk=first.json()["id"]))
    assert buyer.client.get(f"/api/v1/vendor-subscriptions/{first.json()['id']}").json()["status"] == "active"
    listed = {row["id"] for row in buyer.client.get("/api/v1/workteams").json()["results"]}
    assert offering.workteam_id in listed
    assert post_to(buyer, offering.workteam_id).status_code == 201


def test_vendor_work_is_priced_by_the_offering_and_pays_the_vendor(buyer, offering, make_worker):
    subscribed(buyer, offering)
    assert post_to(buyer, offering.workteam_id, reward="0.05").json()["error"]["fields"] == {
        "reward": ["must be left out or equal the vendor offering's price (0.08)"]
    }
    task = post_to(buyer, offering.workteam_id, reward="0.08").json()
    assert task["reward"] == "0.08" and task["fee"] == "0.016"
    batch = buyer.client.get(f"/api/v1/batches/{task['batch_id']}").json()
    assert batch["on_hold"] == "0.096"
    offering_update(offering=offering, price="0.50")  # later price: this batch keeps its own
    more = buyer.client.post("/api/v1/tasks", {"title": "more", "batch_id": task["batch_id"]}, format="json")
    assert more.status_code == 201 and more.json()["reward"] == "0.08"

    worker = make_worker(join_public=False)
    workteam_add_member(workteam=offering.workteam, worker=worker)
    claimed = worker.client.post("/api/v1/worker/tasks/next")
    assert claimed.status_code == 200
    assert (
        worker.client.post(
            f"/api/v1/worker/assignments/{claimed.json()['assignment_id']}/submit",
            {"answer": {"text": "hola"}},
            format="json",
        ).status_code
        == 200
    )
    assert buyer.client.post(f"/api/v1/assignments/{claimed.json()['assignment_id']}/approve").status_code == 200
    assert account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=offering.vendor) == 80_000
    assert account_balance_micros(LedgerAccount.Kind.WORKER_EARNINGS, worker=worker) == 0


def test_other_requesters_cannot_target_or_see_a_subscription(buyer, make_requester, offering):
    subscription = subscribed(buyer, offering)
    stranger = with_client(make_requester())
    assert post_to(stranger, offering.workteam_id).status_code == 400
    assert stranger.client.get(f"/api/v1/vendor-subscriptions/{subscription.pk}").status_code == 404
    assert stranger.client.post(f"/api/v1/vendor-subscriptions/{subscription.pk}/cancel").status_code == 404
    assert stranger.client.get("/api/v1/vendor-subscriptions").json()["results"] == []


def test_cancelling_stops_new_work_but_posted_work_goes_on(buyer, offering, make_worker):
    subscription = subscribed(buyer, offering)
    assert post_to(buyer, offering.workteam_id).status_code == 201
    cancelled = buyer.client.post(f"/api/v1/vendor-subscriptions/{subscription.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert post_to(buyer, offering.workteam_id).status_code == 400
    batch_id = Task.objects.get().batch_id
    into_old_batch = buyer.client.post("/api/v1/tasks", {"title": "more", "batch_id": batch_id}, format="json")
    assert into_old_batch.status_code == 400 and list(into_old_batch.json()["error"]["fields"]) == ["batch_id"]
    assert Task.objects.count() == 1
    worker = make_worker(join_public=False)
    workteam_add_member(workteam=offering.workteam, worker=worker)
    assert worker.client.post("/api/v1/worker/tasks/next").status_code == 200


def test_a_decided_subscription_cannot_be_decided_otherwise(buyer, offering):
    from marketplace.errors import Conflict

    created = buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": offering.pk}, format="json").json()
    subscription = VendorSubscription.objects.get(pk=created["id"])
    subscription_decline(subscription=subscription)
    with pytest.raises(Conflict) as raised:
        subscription_accept(subscription=subscription)
    assert raised.value.code == "subscription_not_pending"
    # declined: the requester may ask again
    assert (
        buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": offering.pk}, format="json").status_code
        == 201
    )


def test_bad_subscription_requests_name_the_field(buyer):
    assert buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": "x"}, format="json").json()["error"][
        "fields"
    ] == {"offering_id": ["must be an integer"]}
    assert buyer.client.post("/api/v1/vendor-subscriptions", {"offering_id": 999999}, format="json").json()["error"][
        "fields"
    ] == {"offering_id": ["no such vendor offering"]}


def test_capacity_holds_back_claims_until_work_is_handed_in(buyer, offering, make_worker):
    subscribed(buyer, offering)
    for _ in range(4):
        assert post_to(buyer, offering.workteam_id).status_code == 201
    workers = [make_worker(join_public=False) for _ in range(3)]
    for worker in workers:
        workteam_add_member(workteam=offering.workteam, worker=worker)
    first, second = (worker.client.post("/api/v1/worker/tasks/next") for worker in workers[:2])
    assert (first.status_code, second.status_code) == (200, 200)
    assert workers[2].client.post("/api/v1/worker/tasks/next").status_code == 204  # capacity 2
    workers[0].client.post(f"/api/v1/worker/assignments/{first.json()['assignment_id']}/return")
    assert workers[2].client.post("/api/v1/worker/tasks/next").status_code == 200


def test_a_full_vendor_team_does_not_hide_the_workers_other_teams(buyer, offering, make_worker, make_tasks):
    subscribed(buyer, offering)
    assert post_to(buyer, offering.workteam_id).status_code == 201
    offering_update(offering=offering, capacity=1)
    busy, free = make_worker(join_public=False), make_worker()
    for worker in (busy, free):
        workteam_add_member(workteam=offering.workteam, worker=worker)
    assert post_to(buyer, offering.workteam_id).status_code == 201
    assert busy.client.post("/api/v1/worker/tasks/next").status_code == 200
    make_tasks(buyer.organization, 1)  # public work
    claimed = free.client.post("/api/v1/worker/tasks/next")
    assert claimed.status_code == 200
    assert Task.objects.get(pk=claimed.json()["task_id"]).workteam.kind == "public"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_exceed_the_capacity(buyer, vendor, make_worker):
    capacity, workers_count = 3, 16
    offering = offering_publish(
        vendor=vendor, name="Big team", task_types=["custom"], languages=["en"], price="0.01", capacity=capacity
    )
    subscribed(buyer, offering)
    body = [{"title": f"t{i}", "workteam_id": offering.workteam_id, "slots": 2} for i in range(20)]
    assert buyer.client.post("/api/v1/tasks", body, format="json").status_code == 201
    workers = [make_worker(join_public=False) for _ in range(workers_count)]
    for worker in workers:
        workteam_add_member(workteam=offering.workteam, worker=worker)

    def claimer(worker):
        return lambda: claim(worker).status_code

    with override_settings(GROUNDWORK={**settings.GROUNDWORK, **UNLIMITED}):
        outcomes = run_at_once([claimer(worker) for worker in workers])
    assert sorted(outcomes) == [200] * capacity + [204] * (workers_count - capacity), outcomes
    assert Assignment.objects.filter(task__workteam=offering.workteam, status="accepted").count() == capacity


def test_one_claim_for_many_workers_fills_the_capacity_and_sends_the_rest_elsewhere(
    buyer, offering, make_worker, make_tasks
):
    from marketplace.services.dispatch import assignments_claim

    subscribed(buyer, offering)  # capacity 2
    body = [{"title": f"t{i}", "workteam_id": offering.workteam_id, "slots": 3} for i in range(3)]
    assert buyer.client.post("/api/v1/tasks", body, format="json").status_code == 201
    make_tasks(buyer.organization, 1, slots=1)  # one public task
    vendor_only = [make_worker(join_public=False) for _ in range(3)]
    also_public = make_worker()
    for worker in [*vendor_only, also_public]:
        workteam_add_member(workteam=offering.workteam, worker=worker)

    results = assignments_claim(workers=[*vendor_only, also_public])

    teams = {worker_id: (result.task.workteam.kind if result else None) for worker_id, result in results.items()}
    assert sorted(kind or "none" for kind in teams.values()).count("vendor") == 2
    assert Assignment.objects.filter(task__workteam=offering.workteam, status="accepted").count() == 2
    # the worker who is also in the public workforce is not left idle by the full vendor team
    assert teams[also_public.pk] in ("vendor", "public")
    assert list(teams.values()).count(None) == 1 and teams[also_public.pk] is not None
