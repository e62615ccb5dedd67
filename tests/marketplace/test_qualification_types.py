"""Qualification types and grants through the real routes: create, list, detail, deactivate,
manual grants and revocation, auto-grant from reputation, system values, tenancy, bad input."""

from __future__ import annotations

import math

import pytest

from marketplace.models import QualificationGrant, QualificationType
from marketplace.selectors.reputation import reputation_score
from marketplace.services.qualifications import worker_system_qualification_values
from marketplace.services.reputation import reputation_record_estimates
from tests.support.factories import client_with

from .qualification_helpers import (
    TYPES_URL,
    claimed_task_ids,
    create_type,
    grant,
    post_task,
    snapshot,
    system_type_id,
    work_done,
)

pytestmark = pytest.mark.django_db


def test_creating_a_manual_type_answers_201_with_the_type(make_requester):
    # given
    owner = make_requester()
    # when
    response = client_with(owner.api_key).post(
        TYPES_URL, {"name": "Bird expert", "description": "knows birds"}, format="json"
    )
    # then
    assert response.status_code == 201
    data = response.json()
    assert data == {
        "id": QualificationType.objects.get(owner=owner.organization).pk,
        "name": "Bird expert",
        "description": "knows birds",
        "owner_id": owner.organization.pk,
        "system_key": None,
        "grant_method": "manual",
        "value_kind": "integer",
        "auto_grant": None,
        "test": None,
        "is_active": True,
        "created_at": data["created_at"],
        "deactivated_at": None,
    }
    assert client_with(owner.api_key).get(f"{TYPES_URL}/{data['id']}").json() == data


def test_auto_and_test_types_show_their_rules(make_requester):
    owner = make_requester()
    auto = create_type(
        owner, name="Reliable", auto_grant={"metric": "approval_rate", "comparator": ">=", "threshold": 90}
    )
    test = create_type(
        owner,
        name="Tested",
        test={"questions": [{"input": {"text": "a"}, "answer": {"label": "x"}}], "passing_score": 100},
    )
    assert (auto["grant_method"], auto["auto_grant"], auto["test"]) == (
        "auto",
        {"metric": "approval_rate", "comparator": ">=", "threshold": 90},
        None,
    )
    assert (test["grant_method"], test["auto_grant"], test["test"]) == (
        "test",
        None,
        {
            "questions": [{"input": {"text": "a"}, "answer": {"label": "x"}}],
            "passing_score": 100,
            "retry_delay_seconds": 86400,
        },
    )


def test_a_name_is_unique_among_the_owners_active_types(make_requester):
    # given
    owner, other = make_requester(), make_requester()
    first = create_type(owner, name="Expert")
    client = client_with(owner.api_key)
    # when
    taken = client.post(TYPES_URL, {"name": "Expert"}, format="json")
    elsewhere = client_with(other.api_key).post(TYPES_URL, {"name": "Expert"}, format="json")
    client.post(f"{TYPES_URL}/{first['id']}/deactivate")
    reused = client.post(TYPES_URL, {"name": "Expert"}, format="json")
    # then
    assert taken.status_code == 400
    assert taken.json()["error"]["fields"] == {
        "name": ["is already the name of another of your active qualification types"]
    }
    assert elsewhere.status_code == 201
    assert reused.status_code == 201


BAD_TYPES = [
    ({}, {"name": ["is required"]}),
    ({"name": "   "}, {"name": ["is required"]}),
    ({"name": "x" * 201}, {"name": ["must be at most 200 characters"]}),
    ({"name": 5}, {"name": ["must be a string"]}),
    ({"name": "n", "colour": 1}, {"colour": ["is not a known field"]}),
    ({"name": "n", "description": ["x"]}, {"description": ["must be a string"]}),
    ({"name": "n", "auto_grant": "x"}, {"auto_grant": ["must be an object with metric, comparator and threshold"]}),
    (
        {"name": "n", "auto_grant": {}},
        {
            "auto_grant.metric": ["must be one of approval_rate, accuracy, approved_count"],
            "auto_grant.comparator": ["must be one of >=, <=, ==, !="],
            "auto_grant.threshold": ["is required"],
        },
    ),
    (
        {"name": "n", "auto_grant": {"metric": "locale", "comparator": "in", "threshold": 1.5, "x": 1}},
        {
            "auto_grant.x": ["is not a known field"],
            "auto_grant.metric": ["must be one of approval_rate, accuracy, approved_count"],
            "auto_grant.comparator": ["must be one of >=, <=, ==, !="],
            "auto_grant.threshold": ["must be an integer"],
        },
    ),
    ({"name": "n", "test": []}, {"test": ["must be an object with questions and passing_score"]}),
    (
        {"name": "n", "test": {"questions": [], "passing_score": 0}},
        {
            "test.questions": ["must be a list of 1 to 50 questions"],
            "test.passing_score": ["must be between 1 and 100"],
        },
    ),
    (
        {"name": "n", "test": {"questions": [{"input": 1, "answer": 1}] * 51, "passing_score": 50}},
        {"test.questions": ["must be a list of 1 to 50 questions"]},
    ),
    (
        {
            "name": "n",
            "test": {
                "questions": ["q", {"input": 1}, {"answer": 2, "input": 1, "hint": 3}],
                "passing_score": 101,
                "retry_delay_seconds": -1,
            },
        },
        {
            "test.questions.0": ["must be an object with input and answer"],
            "test.questions.1.answer": ["is required"],
            "test.questions.2.hint": ["is not a known field"],
            "test.passing_score": ["must be between 1 and 100"],
            "test.retry_delay_seconds": ["must be between 0 and 31536000"],
        },
    ),
    ({"name": "n", "test": {"questions": [{"input": 1, "answer": 1}]}}, {"test.passing_score": ["is required"]}),
    (
        {
            "name": "n",
            "auto_grant": {"metric": "accuracy", "comparator": ">=", "threshold": 1},
            "test": {"questions": [{"input": 1, "answer": 1}], "passing_score": 50},
        },
        {"test": ["a type is granted by a test or by an auto_grant rule, not both"]},
    ),
]


@pytest.mark.parametrize(("body", "fields"), BAD_TYPES)
def test_every_bad_type_field_is_a_400_naming_it_and_creates_nothing(make_requester, body, fields):
    owner = make_requester()
    before = snapshot()
    response = client_with(owner.api_key).post(TYPES_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == fields
    assert snapshot() == before


def test_a_body_that_is_not_an_object_is_a_400(make_requester):
    response = client_with(make_requester().api_key).post(TYPES_URL, [1], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"non_field_errors": ["the body must be a JSON object"]}


def test_manual_grant_update_list_and_revoke_decide_who_is_offered_the_task(make_requester, make_worker):
    # given
    owner = make_requester()
    expert = create_type(owner)
    restricted = post_task(owner, [{"qualification_type_id": expert["id"], "comparator": ">=", "values": 5}], slots=3)
    worker = make_worker()
    client = client_with(owner.api_key)
    workers_url = f"{TYPES_URL}/{expert['id']}/workers"

    # when: granted below the threshold, then raised
    low = grant(owner, expert["id"], worker, 4)
    offered_low = claimed_task_ids(worker)
    raised = grant(owner, expert["id"], worker, 7)
    listed = client.get(workers_url).json()

    # then
    assert low.status_code == 201 and low.json()["value"] == 4 and low.json()["source"] == "manual"
    assert offered_low == []
    assert raised.status_code == 200 and raised.json()["value"] == 7
    assert listed == {
        "results": [
            {
                "qualification_type_id": expert["id"],
                "worker_id": worker.pk,
                "value": 7,
                "source": "manual",
                "granted_at": low.json()["granted_at"],
                "updated_at": raised.json()["updated_at"],
            }
        ],
        "next": None,
    }
    assert claimed_task_ids(worker) == [restricted["id"]]

    # when: revoked
    revoked = client.delete(f"{workers_url}/{worker.pk}")
    revoked_again = client.delete(f"{workers_url}/{worker.pk}")
    later = make_worker()
    assert grant(owner, expert["id"], later, 5).status_code == 201
    client.delete(f"{workers_url}/{later.pk}")

    # then
    assert revoked.status_code == 204
    assert revoked_again.status_code == 404
    assert client.get(workers_url).json() == {"results": [], "next": None}
    assert claimed_task_ids(later) == []


def test_a_grant_takes_value_1_when_left_out(make_requester, make_worker):
    owner = make_requester()
    expert = create_type(owner)
    worker = make_worker()
    response = client_with(owner.api_key).post(
        f"{TYPES_URL}/{expert['id']}/workers", {"worker_id": worker.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["value"] == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"worker_id": ["must be an integer"]}),
        ({"worker_id": "1"}, {"worker_id": ["must be an integer"]}),
        ({"worker_id": 99999999}, {"worker_id": ["no such worker"]}),
        ({"worker_id": "WORKER", "value": "high"}, {"value": ["must be an integer (32-bit)"]}),
        ({"worker_id": "WORKER", "value": True}, {"value": ["must be an integer (32-bit)"]}),
        ({"worker_id": "WORKER", "value": 2**31}, {"value": ["must be an integer (32-bit)"]}),
    ],
)
def test_every_bad_grant_field_is_a_400_naming_it(make_requester, make_worker, body, fields):
    owner = make_requester()
    expert = create_type(owner)
    worker = make_worker()
    body = {key: worker.pk if value == "WORKER" else value for key, value in body.items()}
    before = snapshot()
    response = client_with(owner.api_key).post(f"{TYPES_URL}/{expert['id']}/workers", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert snapshot() == before


def test_system_types_cannot_be_granted_revoked_or_deactivated(make_requester, make_worker):
    owner = make_requester()
    worker = make_worker()
    approval = system_type_id(owner, "approval_rate")
    client = client_with(owner.api_key)
    before = snapshot()
    granted = grant(owner, approval, worker, 100)
    revoked = client.delete(f"{TYPES_URL}/{approval}/workers/{worker.pk}")
    deactivated = client.post(f"{TYPES_URL}/{approval}/deactivate")
    assert [r.status_code for r in (granted, revoked, deactivated)] == [403, 403, 403]
    assert {r.json()["error"]["code"] for r in (granted, revoked, deactivated)} == {"forbidden"}
    assert client.get(f"{TYPES_URL}/{approval}").json()["is_active"] is True
    assert client.get(f"{TYPES_URL}/{approval}/workers").json() == {"results": [], "next": None}
    assert snapshot() == before


def test_another_requesters_type_and_grants_are_404(make_requester, make_worker):
    # given
    owner, intruder = make_requester(), make_requester()
    expert = create_type(owner)
    worker = make_worker()
    assert grant(owner, expert["id"], worker, 3).status_code == 201
    client = client_with(intruder.api_key)
    before = snapshot()

    # when
    responses = [
        client.get(f"{TYPES_URL}/{expert['id']}"),
        client.get(f"{TYPES_URL}/{expert['id']}/workers"),
        client.post(f"{TYPES_URL}/{expert['id']}/workers", {"worker_id": worker.pk, "value": 9}, format="json"),
        client.delete(f"{TYPES_URL}/{expert['id']}/workers/{worker.pk}"),
        client.post(f"{TYPES_URL}/{expert['id']}/deactivate"),
    ]

    # then
    assert [r.status_code for r in responses] == [404] * 5
    assert {r.json()["error"]["code"] for r in responses} == {"not_found"}
    assert expert["id"] not in [row["id"] for row in client.get(TYPES_URL).json()["results"]]
    assert snapshot() == before
    assert QualificationGrant.objects.get().value == 3
    assert QualificationType.objects.get(pk=expert["id"]).is_active is True


def test_workers_cannot_use_the_requester_endpoints(make_worker):
    worker = make_worker()
    assert worker.client.get(TYPES_URL).status_code == 403


def test_an_auto_granted_type_follows_the_reputation_metric(make_requester, make_worker):
    # given: a history requester, and workers with 2/3 and 1/2 approved
    history = make_requester()
    history_client = client_with(history.api_key)
    steady, shaky = make_worker(), make_worker()
    work_done(history.organization, steady, approve=2, reject=1, requester_client=history_client)
    work_done(history.organization, shaky, approve=1, reject=1, requester_client=history_client)
    owner = make_requester()
    reliable = create_type(
        owner, name="Reliable", auto_grant={"metric": "approval_rate", "comparator": ">=", "threshold": 60}
    )
    restricted = post_task(owner, [{"qualification_type_id": reliable["id"], "comparator": "exists"}], slots=2)
    workers_url = f"{TYPES_URL}/{reliable['id']}/workers"

    # when
    offered_to_steady = claimed_task_ids(steady)
    offered_to_shaky = claimed_task_ids(shaky)

    # then: the grant is recorded when first found, with the metric as its value
    assert offered_to_steady == [restricted["id"]]
    assert offered_to_shaky == []
    listed = client_with(owner.api_key).get(workers_url).json()["results"]
    assert [(row["worker_id"], row["value"], row["source"]) for row in listed] == [(steady.pk, 66, "auto")]

    # when: the shaky worker's rate rises to 2/3 (one more approval)
    work_done(history.organization, shaky, approve=1, reject=0, requester_client=history_client)

    # then
    assert claimed_task_ids(shaky) == [restricted["id"]]
    listed = client_with(owner.api_key).get(workers_url).json()["results"]
    assert sorted((row["worker_id"], row["value"]) for row in listed) == [(steady.pk, 66), (shaky.pk, 66)]


def test_an_auto_granted_type_cannot_be_granted_by_hand(make_requester, make_worker):
    owner = make_requester()
    reliable = create_type(owner, auto_grant={"metric": "approved_count", "comparator": ">=", "threshold": 1})
    worker = make_worker()
    granted = grant(owner, reliable["id"], worker, 5)
    revoked = client_with(owner.api_key).delete(f"{TYPES_URL}/{reliable['id']}/workers/{worker.pk}")
    assert (granted.status_code, granted.json()["error"]["code"]) == (409, "qualification_not_grantable")
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (409, "qualification_not_grantable")
    assert QualificationGrant.objects.count() == 0


def test_system_values_come_from_settled_assignments_and_consolidation_estimates(make_requester, make_worker):
    # given
    history = make_requester()
    worker = make_worker(locale="nz")
    newcomer = make_worker()
    work_done(history.organization, worker, approve=2, reject=1, requester_client=client_with(history.api_key))
    batch = worker.assignments.first().task.batch
    reputation_record_estimates(batch=batch, estimates={worker.pk: (0.9, 10)})
    other_batch = post_task(history)["batch_id"]
    from marketplace.models import Batch

    reputation_record_estimates(batch=Batch.objects.get(pk=other_batch), estimates={worker.pk: (0.6, 30)})
    worker.refresh_from_db()

    # when
    values = worker_system_qualification_values(worker)
    fresh = worker_system_qualification_values(newcomer)

    # then: accuracy is the lower bound of the combined score over the estimate
    # (0.9*10 + 0.6*30) / 40 = 67.5 % on 40 answers and the reviews (2 of 3 approved), rounded
    # down; 2/3 approved → 66 (rounded down)
    score = reputation_score(estimated_accuracy=0.675, estimated_answers=40, approved=2, rejected=1, claimed=3)
    assert 40 < 100 * score.low < 67.5
    assert values == {"approval_rate": 66, "accuracy": math.floor(100 * score.low), "approved_count": 2, "locale": "NZ"}
    assert fresh == {"approval_rate": None, "accuracy": None, "approved_count": 0, "locale": None}


def test_system_approval_and_count_requirements_through_dispatch(make_requester, make_worker):
    # given
    history = make_requester()
    veteran, newcomer = make_worker(), make_worker()
    work_done(history.organization, veteran, approve=3, reject=0, requester_client=client_with(history.api_key))
    owner = make_requester()
    restricted = post_task(
        owner,
        [
            {"qualification_type_id": system_type_id(owner, "approval_rate"), "comparator": ">=", "values": 95},
            {"qualification_type_id": system_type_id(owner, "approved_count"), "comparator": ">=", "values": 3},
        ],
    )
    # when / then: no settled work means no approval rate, which fails every comparator
    assert claimed_task_ids(newcomer) == []
    assert claimed_task_ids(veteran) == [restricted["id"]]
