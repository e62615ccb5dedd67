"""What an appeal refuses, each with a clear 4xx naming the field or the condition and nothing
changed: bad bodies, an assignment not rejected, not the worker's, appealed twice or too late
(time moved past the 14 days), a decision made twice, by another requester, or that the balance
cannot pay; and who may read a requester's profile.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Appeal, Assignment
from tests.marketplace.appeals.helpers import accept, appeal, appeal_rows, appeals_of, decline, rejected_assignment
from tests.marketplace.ledger_api.helpers import balance, ledger_state, post_task
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with
from tests.support.worker_api import claim_and_submit

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    return requester, worker, rejected_assignment(requester, worker)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "message", "is required"),
        ({"message": ""}, "message", "is required"),
        ({"message": "   "}, "message", "is required"),
        ({"message": 12}, "message", "must be a string"),
        ({"message": "x" * 2001}, "message", "must be at most 2000 characters"),
        ({"message": "ok", "extra": 1}, "extra", "is not a known field"),
    ],
)
def test_a_bad_appeal_body_is_a_400_naming_the_field(world, body, field, message):
    _, worker, assignment_id = world

    response = appeal(worker, assignment_id, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"][field] == [message]
    assert appeal_rows() == []


def test_a_body_that_is_not_an_object_is_a_400(world):
    _, worker, assignment_id = world
    response = appeal(worker, assignment_id, ["a list"])
    assert response.status_code == 400
    assert appeal_rows() == []


def test_a_message_of_exactly_2000_characters_is_taken(world):
    _, worker, assignment_id = world
    assert appeal(worker, assignment_id, {"message": "x" * 2000}).status_code == 201


def test_an_assignment_appealed_twice_is_a_409_and_the_first_appeal_stands(world):
    _, worker, assignment_id = world
    first = appeal(worker, assignment_id, {"message": "first"})
    assert first.status_code == 201

    second = appeal(worker, assignment_id, {"message": "second"})

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_appealed"
    assert list(Appeal.objects.values_list("message", flat=True)) == ["first"]


def test_after_a_declined_appeal_the_rejection_cannot_be_appealed_again(world):
    requester, worker, assignment_id = world
    decline(requester, appeal(worker, assignment_id).json()["id"])

    again = appeal(worker, assignment_id, {"message": "please"})

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_appealed"


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_an_assignment_not_rejected_cannot_be_appealed(make_requester, make_worker, status):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    post_task(requester, slots=1)
    assignment_id = claim_and_submit(worker)
    if status == "approved":
        client_with(requester.api_key).post(f"/api/v1/assignments/{assignment_id}/approve")

    response = appeal(worker, assignment_id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_rejected"
    assert status in response.json()["error"]["message"]
    assert appeal_rows() == []


def test_another_workers_assignment_is_a_404_like_a_missing_one(world, make_worker):
    _, _, assignment_id = world
    stranger = make_worker()

    theirs = appeal(stranger, assignment_id)
    missing = appeal(stranger, 10**15)

    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json()["error"]["code"] == "not_found"
    assert appeal_rows() == []


def test_a_requester_key_cannot_appeal(world):
    requester, _, assignment_id = world
    response = client_with(requester.api_key).post(
        f"/api/v1/worker/assignments/{assignment_id}/appeal", {"message": "x"}, format="json"
    )
    assert response.status_code in (401, 403)
    assert appeal_rows() == []


def _reject_days_ago(assignment_id: int, age: timedelta) -> None:
    # time moved: the rejection happened ``age`` ago
    Assignment.objects.filter(pk=assignment_id).update(rejected_at=timezone.now() - age)


def test_an_appeal_more_than_14_days_after_the_rejection_is_refused(world):
    _, worker, assignment_id = world
    _reject_days_ago(assignment_id, timedelta(days=14, minutes=1))

    response = appeal(worker, assignment_id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appeal_window_closed"
    assert "14 days" in response.json()["error"]["message"]
    assert appeal_rows() == []


def test_an_appeal_just_within_14_days_is_taken(world):
    _, worker, assignment_id = world
    _reject_days_ago(assignment_id, timedelta(days=13, hours=23, minutes=59))

    assert appeal(worker, assignment_id).status_code == 201


def test_an_appeal_decided_after_the_30_day_override_window_cannot_be_accepted_but_can_be_declined(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    _reject_days_ago(assignment_id, timedelta(days=30, minutes=1))
    before = ledger_state()

    accepted = accept(requester, appeal_id)

    assert accepted.status_code == 409
    assert accepted.json()["error"]["code"] == "rejection_override_expired"
    assert Appeal.objects.get(pk=appeal_id).status == "open"
    assert ledger_state() == before
    assert decline(requester, appeal_id).status_code == 200


def test_a_second_decision_is_a_409_and_changes_nothing(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    assert accept(requester, appeal_id).status_code == 200
    before_money, before_appeals = ledger_state(), appeal_rows()

    again = accept(requester, appeal_id)
    other_way = decline(requester, appeal_id)

    for response in (again, other_way):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "appeal_already_decided"
    assert (ledger_state(), appeal_rows()) == (before_money, before_appeals)
    assert ledger_violations() == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "reply", "is required"),
        ({"reply": " "}, "reply", "is required"),
        ({"reply": "x" * 4097}, "reply", "must be at most 4096 characters"),
        ({"reply": ["no"]}, "reply", "must be a string"),
    ],
)
def test_a_decline_without_a_proper_reply_is_a_400(world, body, field, message):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    before = appeal_rows()

    response = decline(requester, appeal_id, body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}
    assert appeal_rows() == before


def test_an_accept_with_a_bad_reply_is_a_400(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    before = ledger_state()

    response = accept(requester, appeal_id, {"reply": 5})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reply": ["must be a string"]}
    assert ledger_state() == before
    assert Appeal.objects.get(pk=appeal_id).status == "open"


def test_an_accept_the_balance_cannot_pay_is_a_402_and_the_appeal_stays_open(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    post_task(requester, slots=16)  # $1.00 reserves 16 slots at $0.06: 0.04 left
    assert balance(requester)["available"] == "0.04"
    before = ledger_state()

    response = accept(requester, appeal_id)

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert Appeal.objects.get(pk=appeal_id).status == "open"
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
    assert ledger_state() == before
    assert ledger_violations() == []


def test_another_requester_cannot_see_or_decide_an_appeal(world, make_requester):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    other = make_requester(balance_micros=1_000_000)
    client = client_with(other.api_key)
    before_money, before_appeals = ledger_state(), appeal_rows()

    assert appeals_of(other) == []
    for response in (
        client.get(f"/api/v1/appeals/{appeal_id}"),
        client.post(f"/api/v1/appeals/{appeal_id}/accept", {}, format="json"),
        client.post(f"/api/v1/appeals/{appeal_id}/decline", {"reply": "no"}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert (ledger_state(), appeal_rows()) == (before_money, before_appeals)
    assert [a["id"] for a in appeals_of(requester)] == [appeal_id]


def test_a_worker_sees_only_its_own_appeals(world, make_worker):
    _, worker, assignment_id = world
    appeal(worker, assignment_id)
    assert len(worker.client.get("/api/v1/worker/appeals").json()["results"]) == 1
    assert make_worker().client.get("/api/v1/worker/appeals").json()["results"] == []


def test_the_status_filter_must_be_a_known_status(world):
    requester, worker, _ = world
    for response in (
        client_with(requester.api_key).get("/api/v1/appeals?status=pending"),
        worker.client.get("/api/v1/worker/appeals?status=pending"),
    ):
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["status"]


def test_the_appeals_list_is_paginated_oldest_first(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    workers = [make_worker() for _ in range(3)]
    ids = [appeal(w, rejected_assignment(requester, w)).json()["id"] for w in workers]

    first = client_with(requester.api_key).get("/api/v1/appeals?status=open&limit=2").json()
    second = client_with(requester.api_key).get(first["next"]).json()

    assert [a["id"] for a in first["results"]] == ids[:2]
    assert [a["id"] for a in second["results"]] == ids[2:]
    assert second["next"] is None


def test_a_requester_profile_counts_its_appeals_and_settled_answers(world, make_worker):
    requester, worker, assignment_id = world
    accept(requester, appeal(worker, assignment_id).json()["id"])
    second = make_worker()
    decline(requester, appeal(second, rejected_assignment(requester, second)).json()["id"])
    third = make_worker()
    appeal(third, rejected_assignment(requester, third))

    response = worker.client.get(f"/api/v1/worker/requesters/{requester.organization.pk}")

    assert response.status_code == 200, response.content
    profile = response.json()
    assert {k: v for k, v in profile.items() if k != "member_since"} == {
        "id": requester.organization.pk,
        "name": requester.organization.name,
        "appeals_received": 3,
        "appeals_accepted": 1,
        "appeals_declined": 1,
        "appeals_open": 1,
        "assignments_approved": 1,
        "assignments_rejected": 2,
        "approval_rate": 0.3333,
    }


def test_a_requester_profile_is_404_for_a_requester_the_worker_cannot_know(world, make_requester, make_worker):
    requester, _, _ = world
    stranger_org = make_requester()
    # the public workforce sees the requester of a public task, but not one with no work for it
    outsider = make_worker(join_public=False)

    unknown = outsider.client.get(f"/api/v1/worker/requesters/{requester.organization.pk}")
    public = make_worker().client.get(f"/api/v1/worker/requesters/{requester.organization.pk}")
    nobody = make_worker().client.get(f"/api/v1/worker/requesters/{stranger_org.organization.pk}")

    assert unknown.status_code == 404
    assert public.status_code == 200
    assert nobody.status_code == 404
