"""Gold tasks, quality rules and the auto-approval policy (docs/quality.md), through the real
routes: requesters post with ``POST /api/v1/tasks``, workers claim with ``POST
/api/v1/worker/tasks/next`` (the dispatch the websocket uses too) and submit; the sweeps settle."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment, Batch, Task, WorkerBatchQuality
from marketplace.services.quality import GOLD_FAILURE_FEEDBACK
from marketplace.services.sweeps import run_sweeps
from tests.support.factories import client_with
from tests.support.worker_api import answer_next, claim_offer, submit_ok

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["cat", "dog"]}},
    "required": ["label"],
    "additionalProperties": False,
}
CAT, DOG = {"label": "cat"}, {"label": "dog"}


def post_tasks(client, body):
    return client.post("/api/v1/tasks", body, format="json")


def task_body(title: str = "t", **fields) -> dict:
    return {"title": title, "reward": "0.05", "answer_schema": SCHEMA, **fields}


def posted(client, body) -> list[dict]:
    response = post_tasks(client, body)
    assert response.status_code == 201, response.content
    data = response.json()
    return data if isinstance(data, list) else [data]


def state() -> dict:
    return {"batches": Batch.objects.count(), "tasks": Task.objects.count()}


# --- posting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"quality_rules": "strict"}, {"quality_rules": ["must be an object"]}),
        (
            {"quality_rules": {"min_gold_accuracy": 1.5}},
            {"quality_rules.min_gold_accuracy": ["must be a number from 0 to 1"]},
        ),
        (
            {"quality_rules": {"min_gold_accuracy": "0.8"}},
            {"quality_rules.min_gold_accuracy": ["must be a number from 0 to 1"]},
        ),
        (
            {"quality_rules": {"min_gold_accuracy": True}},
            {"quality_rules.min_gold_accuracy": ["must be a number from 0 to 1"]},
        ),
        (
            {"quality_rules": {"min_gold_answers": 0}},
            {"quality_rules.min_gold_answers": ["must be an integer from 1 to 10000"]},
        ),
        (
            {"quality_rules": {"min_gold_answers": 2.5}},
            {"quality_rules.min_gold_answers": ["must be an integer from 1 to 10000"]},
        ),
        ({"quality_rules": {"exclude_answers": "yes"}}, {"quality_rules.exclude_answers": ["must be true or false"]}),
        (
            {"quality_rules": {"min_seconds_per_assignment": -1}},
            {"quality_rules.min_seconds_per_assignment": ["must be a number from 0 to 604800"]},
        ),
        (
            {"quality_rules": {"max_speed": 3}},
            {
                "quality_rules.max_speed": [
                    "is not a known quality rule (known: min_gold_accuracy, min_gold_answers, "
                    "exclude_answers, min_seconds_per_assignment)"
                ]
            },
        ),
        (
            {"auto_approval_policy": "reject_all"},
            {"auto_approval_policy": ["must be one of approve_all, reject_gold_failures"]},
        ),
        ({"gold_answer": "cat"}, {"gold_answer": ["must be a JSON object"]}),
        ({"gold_answer": {"label": "bird"}}, {"gold_answer.label": ["'bird' is not one of ['cat', 'dog']"]}),
    ],
)
def test_every_bad_quality_field_is_a_400_naming_it_and_creates_nothing(requester_client, extra, fields):
    # given
    before = state()
    # when
    response = post_tasks(requester_client, task_body(**extra))
    # then
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == fields
    assert state() == before


def test_every_bad_sub_field_is_named_in_one_400(requester_client):
    response = post_tasks(
        requester_client,
        task_body(
            quality_rules={
                "min_gold_accuracy": -0.1,
                "min_gold_answers": "3",
                "exclude_answers": 1,
                "min_seconds_per_assignment": "5",
            }
        ),
    )
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == [
        "quality_rules.exclude_answers",
        "quality_rules.min_gold_accuracy",
        "quality_rules.min_gold_answers",
        "quality_rules.min_seconds_per_assignment",
    ]


def test_a_bad_gold_answer_in_a_list_is_named_by_index(requester_client):
    response = post_tasks(requester_client, [task_body(gold_answer=CAT), task_body(gold_answer={"label": 3})])
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"1.gold_answer.label": ["3 is not one of ['cat', 'dog']"]}
    assert state() == {"batches": 0, "tasks": 0}


def test_a_custom_task_without_schema_takes_any_object_as_gold(requester_client):
    [task] = posted(requester_client, {"title": "free", "reward": "0.05", "gold_answer": {"n": [1, 2]}})
    assert task["gold_answer"] == {"n": [1, 2]}


def test_batch_level_quality_fields_must_agree_across_one_call(requester_client):
    rules = {"min_gold_accuracy": 0.8}
    response = post_tasks(requester_client, [task_body(quality_rules=rules), task_body()])
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"1.quality_rules": ["must be the same for every task of one call"]}
    response = post_tasks(requester_client, [task_body(), task_body(auto_approval_policy="reject_gold_failures")])
    assert response.json()["error"]["fields"] == {
        "1.auto_approval_policy": ["must be the same for every task of one call"]
    }
    assert state() == {"batches": 0, "tasks": 0}


def test_tasks_added_to_a_batch_must_not_name_other_rules(requester_client):
    # given
    [task] = posted(requester_client, task_body(quality_rules={"min_gold_accuracy": 0.8}))
    # when
    same = post_tasks(requester_client, task_body(batch_id=task["batch_id"], quality_rules={"min_gold_accuracy": 0.8}))
    left_out = post_tasks(requester_client, task_body(batch_id=task["batch_id"]))
    other = post_tasks(requester_client, task_body(batch_id=task["batch_id"], quality_rules={"exclude_answers": True}))
    # then
    assert (same.status_code, left_out.status_code) == (201, 201)
    assert other.status_code == 400
    assert other.json()["error"]["fields"] == {"quality_rules": ["differs from the named batch's"]}
    assert Task.objects.count() == 3


def test_the_batch_shows_its_quality_rules_and_policy(requester_client):
    # given
    rules = {
        "min_gold_accuracy": 0.75,
        "min_gold_answers": 4,
        "exclude_answers": True,
        "min_seconds_per_assignment": 2.5,
    }
    [task] = posted(requester_client, task_body(quality_rules=rules, auto_approval_policy="reject_gold_failures"))
    [plain] = posted(requester_client, task_body())
    # when
    batch = requester_client.get(f"/api/v1/batches/{task['batch_id']}").json()
    default = requester_client.get(f"/api/v1/batches/{plain['batch_id']}").json()
    # then
    assert (batch["quality_rules"], batch["auto_approval_policy"]) == (rules, "reject_gold_failures")
    assert (default["quality_rules"], default["auto_approval_policy"]) == ({}, "approve_all")


def test_a_gold_task_looks_like_any_other_task_to_workers(requester_client, make_worker):
    # given
    [gold, plain] = posted(
        requester_client,
        [task_body("same", input={"text": "a"}, gold_answer=CAT), task_body("same", input={"text": "a"})],
    )
    worker = make_worker()
    # when
    first, second = claim_offer(worker), claim_offer(worker)
    me = worker.client.get("/api/v1/worker/me").json()
    # then
    assert gold["gold_answer"] == CAT and plain["gold_answer"] is None  # the requester sees it
    assert (first["task_id"], second["task_id"]) == (gold["id"], plain["id"])
    strip = ("assignment_id", "task_id", "deadline")
    assert {k: v for k, v in first.items() if k not in strip} == {k: v for k, v in second.items() if k not in strip}
    assert "gold" not in json.dumps(first) and "gold" not in json.dumps(me["live_assignments"])
    submitted = submit_ok(worker, first["assignment_id"], DOG)
    assert "gold" not in json.dumps(submitted)


# --- gold checks and the stop rule ------------------------------------------------------------


def test_each_gold_submission_is_checked_and_recorded_per_worker_and_batch(requester_client, make_worker):
    # given
    tasks = posted(requester_client, [task_body(gold_answer=CAT), task_body(gold_answer=DOG), task_body()])
    worker = make_worker()
    # when: right on the first gold, wrong on the second, anything on the plain one
    answers = {tasks[0]["id"]: CAT, tasks[1]["id"]: CAT, tasks[2]["id"]: DOG}
    for _ in tasks:
        answer_next(worker, lambda task: answers[task["task_id"]])
    # then
    assert dict(Assignment.objects.values_list("task_id", "gold_correct")) == {
        tasks[0]["id"]: True,
        tasks[1]["id"]: False,
        tasks[2]["id"]: None,
    }
    assert list(
        WorkerBatchQuality.objects.values("worker_id", "batch_id", "gold_answered", "gold_correct", "excluded_at")
    ) == [
        {
            "worker_id": worker.pk,
            "batch_id": tasks[0]["batch_id"],
            "gold_answered": 2,
            "gold_correct": 1,
            "excluded_at": None,
        },
    ]
    detail = requester_client.get(f"/api/v1/tasks/{tasks[1]['id']}").json()
    assert [(a["worker_id"], a["gold_correct"]) for a in detail["assignments"]] == [(worker.pk, False)]


def test_gold_accuracy_below_the_threshold_stops_the_batch_but_not_other_batches(requester_client, make_worker):
    # given: batch A (first in line: priority 100) opens with three gold tasks, then plain work;
    # batch B holds plain work only
    rules = {"min_gold_accuracy": 0.5, "min_gold_answers": 2}
    batch_a = posted(
        requester_client,
        [task_body("a", priority=100, slots=2, quality_rules=rules, gold_answer=CAT) for _ in range(3)]
        + [task_body("a", priority=100, slots=2, quality_rules=rules) for _ in range(3)],
    )
    batch_b = posted(requester_client, [task_body("b") for _ in range(2)])
    careless, careful = make_worker(), make_worker()

    # when: the careless worker gets both of its first two gold answers wrong
    seen = [answer_next(careless, lambda task: DOG)["task_id"] for _ in range(2)]
    quality = WorkerBatchQuality.objects.get(worker=careless)
    offered_after = []
    while (task := answer_next(careless, lambda task: DOG)) is not None:
        offered_after.append(task["task_id"])

    # then: stopped from batch A after 2 gold answers at 0 %, still offered batch B
    assert seen == [batch_a[0]["id"], batch_a[1]["id"]]
    assert quality.excluded_at is not None
    assert quality.reason == "gold accuracy 0/2 is below the batch's minimum of 0.5"
    assert offered_after == [task["id"] for task in batch_b]
    # the others still get batch A's work, which stays open
    assert claim_offer(careful)["task_id"] == batch_a[0]["id"]
    assert Task.objects.filter(pk__in=[t["id"] for t in batch_a[2:]], status="open").count() == 4


def test_a_worker_above_the_threshold_keeps_getting_the_batch(requester_client, make_worker):
    # given
    rules = {"min_gold_accuracy": 0.5, "min_gold_answers": 2}
    batch = posted(
        requester_client,
        [task_body(gold_answer=CAT, quality_rules=rules) for _ in range(2)]
        + [task_body(quality_rules=rules) for _ in range(2)],
    )
    worker = make_worker()
    answers = iter([CAT, DOG, DOG, DOG])  # gold: 1 of 2 right = 0.5, not below
    # when
    done = [answer_next(worker, lambda task: next(answers)) for _ in range(4)]
    # then
    assert [task["task_id"] for task in done] == [task["id"] for task in batch]
    assert WorkerBatchQuality.objects.get(worker=worker).excluded_at is None


# --- fast answers -----------------------------------------------------------------------------


def test_fast_answers_are_flagged_listed_and_still_paid(requester_client, make_worker):
    # given
    tasks = posted(requester_client, [task_body(quality_rules={"min_seconds_per_assignment": 60}) for _ in range(2)])
    worker = make_worker()
    fast = claim_offer(worker)
    slow = claim_offer(worker)
    Assignment.objects.filter(pk=slow["assignment_id"]).update(accepted_at=timezone.now() - timedelta(seconds=90))
    # when
    submit_ok(worker, fast["assignment_id"], CAT)
    submit_ok(worker, slow["assignment_id"], CAT)
    # then: the fast one is flagged, visible in the task detail and in the flagged listing
    detail = requester_client.get(f"/api/v1/tasks/{tasks[0]['id']}").json()
    [shown] = detail["assignments"]
    assert shown["flagged_reason"].startswith("too_fast: submitted ")
    assert shown["flagged_reason"].endswith(" s after accepting, under the batch's minimum of 60 s")
    flagged = requester_client.get("/api/v1/assignments?flagged=true").json()
    assert [row["id"] for row in flagged["results"]] == [fast["assignment_id"]]
    unflagged = requester_client.get("/api/v1/assignments?flagged=false").json()
    assert [(row["id"], row["flagged_reason"]) for row in unflagged["results"]] == [(slow["assignment_id"], "")]
    # and flagging withholds nothing: both are approved when the delay passes
    Assignment.objects.update(auto_approve_at=timezone.now() - timedelta(seconds=1))
    assert run_sweeps().assignments_auto_approved == 2
    assert sorted(Assignment.objects.values_list("status", flat=True)) == ["approved", "approved"]


def test_the_assignments_listing_is_the_requesters_own_and_checks_its_filters(make_requester, make_tasks, make_worker):
    # given
    mine, theirs = make_requester(), make_requester()
    [task] = make_tasks(mine.organization, 1)
    make_tasks(theirs.organization, 1)
    worker = make_worker()
    claim_offer(worker)
    claim_offer(worker)
    client = client_with(mine.api_key)
    # when
    listed = client.get("/api/v1/assignments").json()
    by_task = client.get(f"/api/v1/assignments?task_id={task.pk}&status=accepted").json()
    bad = client.get("/api/v1/assignments?flagged=maybe")
    # then
    assert [row["task_id"] for row in listed["results"]] == [task.pk]
    assert [row["task_id"] for row in by_task["results"]] == [task.pk]
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"flagged": ["must be true or false"]}


# --- auto-approval policy ---------------------------------------------------------------------


def _settle_all_due() -> int:
    Assignment.objects.filter(status="submitted").update(auto_approve_at=timezone.now() - timedelta(seconds=1))
    return run_sweeps().assignments_auto_approved


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            "reject_gold_failures",
            {
                "gold right": ("approved", ""),
                "gold wrong": ("rejected", GOLD_FAILURE_FEEDBACK),
                "plain": ("approved", ""),
            },
        ),
        ("approve_all", {"gold right": ("approved", ""), "gold wrong": ("approved", ""), "plain": ("approved", "")}),
    ],
)
def test_the_auto_approval_policy_rejects_exactly_the_gold_failures(requester_client, make_worker, policy, expected):
    # given
    posted(
        requester_client,
        [
            task_body("gold right", slots=2, gold_answer=CAT, auto_approval_policy=policy),
            task_body("gold wrong", slots=2, gold_answer=CAT, auto_approval_policy=policy),
            task_body("plain", slots=2, auto_approval_policy=policy),
        ],
    )
    worker, other = make_worker(), make_worker()
    answers = {"gold right": CAT, "gold wrong": DOG, "plain": DOG}
    for _ in range(3):
        answer_next(worker, lambda task: answers[task["title"]])
    # the crowd disagreeing with the worker on the plain task is no reason to reject it
    while answer_next(other, lambda task: CAT):
        pass
    # when
    settled = _settle_all_due()
    # then
    assert settled == 6
    rows = Assignment.objects.filter(worker=worker).values_list("task__title", "status", "feedback")
    assert {title: (status, feedback) for title, status, feedback in rows} == expected
    assert set(Assignment.objects.filter(worker=other).values_list("status", flat=True)) == {"approved"}
    me = worker.client.get("/api/v1/worker/assignments?status=rejected").json()
    assert [row["feedback"] for row in me["results"]] == (
        [GOLD_FAILURE_FEEDBACK] if policy == "reject_gold_failures" else []
    )
