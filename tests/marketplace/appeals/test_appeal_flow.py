"""The appeal flow through the real routes (issue 19, "Must show": the appeal and override flows
with the ledger invariants checked after each step): a worker appeals a rejection, the
requester lists and reads it, accepts it (approved and paid once, from the available balance)
or declines it with a reply, and the worker follows the outcome in its appeals and messages.
"""

from __future__ import annotations

import json

import pytest

from marketplace.encryption import encrypt_secret
from marketplace.events.outbox import forget_subscriptions
from marketplace.events.signing import new_secret
from marketplace.models import (
    Appeal,
    Assignment,
    Event,
    LedgerAccount,
    LedgerTransaction,
    WebhookEndpoint,
    WorkerReputation,
)
from tests.marketplace.appeals.helpers import (
    accept,
    appeal,
    appeals_of,
    decline,
    messages_to,
    rejected_assignment,
)
from tests.marketplace.ledger_api.helpers import balance, ledger_state, me
from tests.marketplace.ledger_invariants import ledger_violations
from tests.support.factories import client_with

pytestmark = pytest.mark.django_db(transaction=False)
Kind = LedgerAccount.Kind


@pytest.fixture
def world(make_requester, make_worker):
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    assignment_id = rejected_assignment(requester, worker)
    assert ledger_violations() == []
    return requester, worker, assignment_id


def test_a_worker_appeals_and_the_requester_accepts_with_the_ledger_whole_after_each_step(world):
    requester, worker, assignment_id = world
    assert (balance(requester)["available"], me(worker)["earnings"]) == ("1.00", "0.00")

    # when: the worker appeals
    created = appeal(worker, assignment_id)

    # then: 201, the appeal open, no money moved
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("assignment_id", "status", "message", "rejection_feedback", "reply", "reward")} == {
        "assignment_id": assignment_id,
        "status": "open",
        "message": "It is a cat: look at its ears.",
        "rejection_feedback": "The picture shows a dog.",
        "reply": "",
        "reward": "0.05",
    }
    assert body["requester_id"] == requester.organization.pk
    assert body["decided_at"] is None
    assert balance(requester)["available"] == "1.00"
    assert ledger_violations() == []

    # when: the requester lists its open appeals and reads this one
    (listed,) = appeals_of(requester, "?status=open")
    detail = client_with(requester.api_key).get(f"/api/v1/appeals/{body['id']}")

    # then: the worker's message, the answer and the rejection are there
    assert detail.status_code == 200
    assert detail.json() == listed
    assert (listed["id"], listed["worker_id"], listed["answer"], listed["status"]) == (
        body["id"],
        worker.pk,
        {"label": "cat"},
        "open",
    )

    # when: the requester accepts it
    accepted = accept(requester, body["id"], {"reply": "You are right, sorry."})

    # then: approved and paid once, from the available balance, the appeal accepted
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["reply"]) == ("accepted", "You are right, sorry.")
    assignment = Assignment.objects.get(pk=assignment_id)
    assert (assignment.status, assignment.feedback) == ("approved", "You are right, sorry.")
    assert (balance(requester)["available"], me(worker)["earnings"]) == ("0.94", "0.05")
    (payment,) = LedgerTransaction.objects.filter(assignment_id=assignment_id, kind__endswith="payment")
    assert payment.kind == LedgerTransaction.Kind.REJECTION_OVERRIDE_PAYMENT
    reputation = WorkerReputation.objects.get(worker=worker)
    assert (reputation.approved, reputation.rejected) == (1, 0)
    assert appeals_of(requester, "?status=open") == []
    assert [a["id"] for a in appeals_of(requester, "?status=accepted")] == [body["id"]]
    assert ledger_violations() == []

    # and: the worker is told, in its appeals and its messages
    (mine,) = worker.client.get("/api/v1/worker/appeals").json()["results"]
    assert (mine["status"], mine["reply"]) == ("accepted", "You are right, sorry.")
    ((subject, text),) = messages_to(worker)
    assert subject == "Your appeal was accepted"
    assert "approved" in text and "$0.05" in text and "You are right, sorry." in text


def test_a_declined_appeal_leaves_the_rejection_and_the_money_as_they_were(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]
    before = ledger_state()

    # when
    declined = decline(requester, appeal_id, {"reply": "The snout is a dog's."})

    # then
    assert declined.status_code == 200, declined.content
    assert (declined.json()["status"], declined.json()["reply"]) == ("declined", "The snout is a dog's.")
    assert declined.json()["decided_at"] is not None
    assert Assignment.objects.get(pk=assignment_id).status == "rejected"
    assert ledger_state() == before
    assert ledger_violations() == []
    (mine,) = worker.client.get("/api/v1/worker/appeals?status=declined").json()["results"]
    assert mine["reply"] == "The snout is a dog's."
    ((subject, text),) = messages_to(worker)
    assert subject == "Your appeal was declined"
    assert "rejection stands" in text and "The snout is a dog's." in text


def test_overriding_the_rejection_directly_accepts_the_open_appeal_and_pays_once(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]

    # when: the requester approves through override_rejection instead of deciding the appeal
    approved = client_with(requester.api_key).post(
        f"/api/v1/assignments/{assignment_id}/approve",
        {"override_rejection": True, "feedback": "Our gold was wrong."},
        format="json",
    )

    # then: the appeal is accepted with the feedback as its reply, paid once
    assert approved.status_code == 200, approved.content
    appeal_row = Appeal.objects.get(pk=appeal_id)
    assert (appeal_row.status, appeal_row.reply) == ("accepted", "Our gold was wrong.")
    assert me(worker)["earnings"] == "0.05"
    assert ledger_violations() == []
    assert [subject for subject, _ in messages_to(worker)] == ["Your appeal was accepted"]

    # and: deciding it afterwards is a conflict that moves nothing
    before = ledger_state()
    again = accept(requester, appeal_id)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "appeal_already_decided"
    assert ledger_state() == before


def test_accepting_without_a_reply_keeps_the_rejection_feedback_and_tells_the_worker_it_is_paid(world):
    requester, worker, assignment_id = world
    appeal_id = appeal(worker, assignment_id).json()["id"]

    accepted = accept(requester, appeal_id)

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["reply"] == ""
    # the rejection's feedback is kept on the appeal; the assignment keeps it too (no reply given)
    assert accepted.json()["rejection_feedback"] == "The picture shows a dog."
    assert Assignment.objects.get(pk=assignment_id).feedback == "The picture shows a dog."
    ((_, text),) = messages_to(worker)
    assert "reply" not in text
    assert ledger_violations() == []


def test_appeal_events_are_recorded_for_a_subscribed_requester(world):
    requester, worker, assignment_id = world
    WebhookEndpoint.objects.create(
        organization=requester.organization,
        url="https://hooks.example.com/groundwork",
        events=["appeal.created", "appeal.decided"],
        secret_encrypted=encrypt_secret(new_secret()),
    )
    forget_subscriptions()

    # when
    appeal_id = appeal(worker, assignment_id).json()["id"]
    decline(requester, appeal_id)

    # then: one event each, in the appeal's order, carrying the appeal as GET returns it
    events = list(Event.objects.filter(organization=requester.organization).order_by("pk"))
    assert [e.type for e in events] == ["appeal.created", "appeal.decided"]
    assert {e.ordering_key for e in events} == {f"appeal:{appeal_id}"}
    read = client_with(requester.api_key).get(f"/api/v1/appeals/{appeal_id}").json()
    assert json.loads(events[1].body)["data"] == read
    assert json.loads(events[0].body)["data"]["status"] == "open"
    forget_subscriptions()


def test_an_appeal_and_a_decision_sent_twice_with_one_idempotency_key_happen_once(world):
    requester, worker, assignment_id = world
    first = appeal(worker, assignment_id, HTTP_IDEMPOTENCY_KEY="appeal-1")
    again = appeal(worker, assignment_id, HTTP_IDEMPOTENCY_KEY="appeal-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"

    client = client_with(requester.api_key)
    path = f"/api/v1/appeals/{first.json()['id']}/accept"
    accepted = client.post(path, {"reply": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")
    replayed = client.post(path, {"reply": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")

    assert (accepted.status_code, replayed.status_code) == (200, 200)
    assert replayed.json() == accepted.json()
    assert Appeal.objects.count() == 1
    assert LedgerTransaction.objects.filter(assignment_id=assignment_id, kind__endswith="payment").count() == 1
    assert len(messages_to(worker)) == 1
    assert ledger_violations() == []


def test_reject_appeal_decline_then_override_checks_the_ledger_after_every_step(make_requester, make_worker):
    # given: a requester with $1.00 and a $0.05 task ($0.06 a slot with the fee)
    requester = make_requester(balance_micros=1_000_000)
    worker = make_worker()
    steps: list[tuple[str, str, str]] = []

    def step(name: str) -> None:
        assert ledger_violations() == [], name
        steps.append((name, balance(requester)["available"], me(worker)["earnings"]))

    # when: each step of the flow, the ledger checked after each
    assignment_id = rejected_assignment(requester, worker)
    step("rejected")
    appeal_id = appeal(worker, assignment_id).json()["id"]
    step("appealed")
    assert decline(requester, appeal_id).status_code == 200
    step("declined")
    overridden = client_with(requester.api_key).post(
        f"/api/v1/assignments/{assignment_id}/approve", {"override_rejection": True}, format="json"
    )
    assert overridden.status_code == 200
    step("overridden")
    again = client_with(requester.api_key).post(
        f"/api/v1/assignments/{assignment_id}/approve", {"override_rejection": True}, format="json"
    )
    assert again.status_code == 200
    step("overridden again")

    # then: money moves once, at the override; the declined appeal keeps its decision
    assert steps == [
        ("rejected", "1.00", "0.00"),
        ("appealed", "1.00", "0.00"),
        ("declined", "1.00", "0.00"),
        ("overridden", "0.94", "0.05"),
        ("overridden again", "0.94", "0.05"),
    ]
    assert Appeal.objects.get(pk=appeal_id).status == "declined"
    assert [subject for subject, _ in messages_to(worker)] == ["Your appeal was declined"]
