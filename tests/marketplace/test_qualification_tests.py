"""Qualification tests, from the worker's side: list, fetch (never the answer key), fail, retry
refused within the delay, pass → granted with the score → offered the restricted task."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from marketplace.models import QualificationGrant, QualificationTestAttempt
from tests.support.factories import client_with

from .qualification_helpers import TESTS_URL, claimed_task_ids, create_type, grant, post_task, snapshot

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"input": {"text": "a purring animal"}, "answer": {"label": "cat"}},
    {"input": {"text": "a barking animal"}, "answer": {"label": "dog"}},
    {"input": {"text": "is 2 even?"}, "answer": "yes"},
    {"input": {"text": "the box"}, "answer": {"left": 1, "top": 2}},
]


@pytest.fixture
def owner(make_requester):
    return make_requester()


@pytest.fixture
def birds(owner) -> dict:
    return create_type(
        owner,
        name="Animal expert",
        description="tell pets apart",
        test={"questions": QUESTIONS, "passing_score": 75, "retry_delay_seconds": 3600},
    )


def answer(worker, type_id: int, answers):
    return worker.client.post(f"{TESTS_URL}/{type_id}/answers", {"answers": answers}, format="json")


def test_a_qualification_test_end_to_end(owner, birds, make_worker):
    # given: a task requiring the test's qualification with a score of at least 75
    restricted = post_task(owner, [{"qualification_type_id": birds["id"], "comparator": ">=", "values": 75}])
    worker = make_worker()

    # when: the worker lists and fetches the test
    listed = worker.client.get(TESTS_URL)
    fetched = worker.client.get(f"{TESTS_URL}/{birds['id']}")

    # then: inputs only, never the answer key
    assert listed.status_code == 200
    assert listed.json() == {
        "results": [
            {
                "id": birds["id"],
                "name": "Animal expert",
                "description": "tell pets apart",
                "question_count": 4,
                "passing_score": 75,
                "retry_delay_seconds": 3600,
                "held_value": None,
                "retry_at": None,
            }
        ],
        "next": None,
    }
    assert fetched.status_code == 200
    assert fetched.json()["questions"] == [{"input": q["input"]} for q in QUESTIONS]
    body = json.dumps(fetched.json()) + json.dumps(listed.json())
    assert "answer" not in body and '"cat"' not in body and '"yes"' not in body and "left" not in body

    # when: two of four right (50 %) → fail
    failed = answer(worker, birds["id"], [{"label": "cat"}, {"label": "cat"}, "yes", {"left": 9}])

    # then
    assert failed.status_code == 200
    result = failed.json()
    assert (result["score"], result["passed"], result["value"]) == (50, False, None)
    assert result["retry_at"] is not None
    assert QualificationGrant.objects.count() == 0
    assert claimed_task_ids(worker) == []

    # when: a retry within the delay
    before = snapshot()
    too_soon = answer(worker, birds["id"], [{"label": "cat"}, {"label": "dog"}, "yes", {"left": 1, "top": 2}])

    # then: refused, nothing changed
    assert too_soon.status_code == 409
    assert too_soon.json()["error"]["code"] == "qualification_retry_too_soon"
    assert snapshot() == before
    assert worker.client.get(TESTS_URL).json()["results"][0]["retry_at"] == result["retry_at"]

    # when: the delay has passed (the attempt is moved back in time) and every answer is right,
    # a label answer with extra keys and a reordered object counting as equal
    attempt = QualificationTestAttempt.objects.get()
    attempt.submitted_at -= timedelta(seconds=3601)
    attempt.save(update_fields=["submitted_at"])
    passed = answer(
        worker, birds["id"], [{"label": "cat", "confidence": 0.9}, {"label": "dog"}, "yes", {"top": 2, "left": 1}]
    )

    # then: granted with the score, and offered the task
    assert passed.status_code == 200
    assert passed.json() == {"score": 100, "passed": True, "value": 100, "retry_at": None}
    grant_row = QualificationGrant.objects.get()
    assert (grant_row.worker_id, grant_row.qualification_type_id, grant_row.value, grant_row.source) == (
        worker.pk,
        birds["id"],
        100,
        "test",
    )
    assert worker.client.get(TESTS_URL).json()["results"][0]["held_value"] == 100
    assert claimed_task_ids(worker) == [restricted["id"]]
    listed_grants = client_with(owner.api_key).get(f"/api/v1/qualification-types/{birds['id']}/workers").json()
    assert [(row["worker_id"], row["value"], row["source"]) for row in listed_grants["results"]] == [
        (worker.pk, 100, "test")
    ]

    # when: the holder tries again
    again = answer(worker, birds["id"], [{"label": "cat"}] * 4)

    # then
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "qualification_already_held"
    assert QualificationTestAttempt.objects.count() == 2


def test_a_score_below_the_passing_score_by_rounding_fails(owner, make_worker):
    # given: 3 questions, passing at 67 %: 2 of 3 right is 66 % (rounded down)
    thirds = create_type(
        owner,
        name="Thirds",
        test={
            "questions": [{"input": i, "answer": i} for i in range(3)],
            "passing_score": 67,
            "retry_delay_seconds": 0,
        },
    )
    worker = make_worker()
    # when
    first = answer(worker, thirds["id"], [0, 1, 5])
    second = answer(worker, thirds["id"], [0, 1, 2])
    # then: a zero retry delay lets the worker retry at once
    assert (first.json()["score"], first.json()["passed"]) == (66, False)
    assert (second.json()["score"], second.json()["passed"]) == (100, True)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"answers": ["is required"]}),
        ({"answers": "cat"}, {"answers": ["must be a list of 4 answers, one per question"]}),
        ({"answers": ["cat"]}, {"answers": ["must be a list of 4 answers, one per question"]}),
        ([1, 2], {"non_field_errors": ["the body must be a JSON object"]}),
    ],
)
def test_bad_answers_are_a_400_naming_the_field_and_record_no_attempt(birds, make_worker, body, fields):
    worker = make_worker()
    before = snapshot()
    response = worker.client.post(f"{TESTS_URL}/{birds['id']}/answers", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert snapshot() == before


def test_only_active_test_types_are_offered_as_tests(owner, birds, make_worker, make_requester):
    # given: a manual type, a deactivated test type, a test of a requester blocking the worker
    worker = make_worker()
    manual = create_type(owner, name="Manual")
    retired = create_type(owner, name="Retired", test={"questions": QUESTIONS, "passing_score": 50})
    client_with(owner.api_key).post(f"/api/v1/qualification-types/{retired['id']}/deactivate")
    blocker = make_requester()
    blocked_test = create_type(blocker, name="Blocked", test={"questions": QUESTIONS, "passing_score": 50})
    assert (
        client_with(blocker.api_key)
        .post("/api/v1/worker-blocks", {"worker_id": worker.pk, "reason": "spam"}, format="json")
        .status_code
        == 201
    )

    # when
    listed = [row["id"] for row in worker.client.get(TESTS_URL).json()["results"]]
    fetches = [
        worker.client.get(f"{TESTS_URL}/{type_id}").status_code
        for type_id in (manual["id"], retired["id"], blocked_test["id"])
    ]
    answers = answer(worker, retired["id"], [1, 2, 3, 4])

    # then
    assert listed == [birds["id"]]
    assert fetches == [404, 404, 404]
    assert answers.status_code == 404
    assert QualificationTestAttempt.objects.count() == 0


def test_a_test_types_grant_may_be_given_and_revoked_by_hand(owner, birds, make_worker):
    # given
    worker = make_worker()
    assert grant(owner, birds["id"], worker, 90).status_code == 201
    # when
    held = answer(worker, birds["id"], [1, 2, 3, 4])
    revoked = client_with(owner.api_key).delete(f"/api/v1/qualification-types/{birds['id']}/workers/{worker.pk}")
    retaken = answer(worker, birds["id"], [{"label": "cat"}, {"label": "dog"}, "yes", {"left": 1, "top": 2}])
    # then
    assert held.json()["error"]["code"] == "qualification_already_held"
    assert revoked.status_code == 204
    assert retaken.json()["passed"] is True
    assert QualificationGrant.objects.get().value == 100


def test_requesters_cannot_take_tests(owner, birds):
    response = client_with(owner.api_key).get(TESTS_URL)
    assert response.status_code == 403
