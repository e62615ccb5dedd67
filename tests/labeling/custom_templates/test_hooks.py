"""A custom-template job with both hooks on a real HTTP server: the pre-task hook makes each
task's input, the consolidation hook each object's label; a hook that fails (an error, a
timeout) for one object fails that object with the reason, after bounded retries, and the rest
of the job completes (docs/templates.md "Hooks")."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Task
from tests.labeling.jobs_lifecycle.helpers import manifest
from tests.support.factories import client_with
from tests.support.worker_api import claim_offer, submit, submit_ok

pytestmark = pytest.mark.django_db

TEMPLATE = """<p>{{ task.input.prompt }}</p>
<blockquote>{{ task.input.source }}</blockquote>
<label><input type="radio" name="animal" value="cat" required> cat</label>
<label><input type="radio" name="animal" value="dog"> dog</label>
<button>Submit</button>"""
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"animal": {"enum": ["cat", "dog"]}},
    "required": ["animal"],
    "additionalProperties": False,
}
LINES = [
    {"source": "a cat sat", "id": "a"},
    {"source": "poison pill", "id": "b"},  # the pre-task hook always fails on it
    {"source": "a dog ran", "id": "c"},
    {"source": "stubborn mule", "id": "d"},  # the consolidation hook always times out on it
]


def pre_task(payload: dict) -> tuple[int, object, float]:
    source = payload["dataObject"]["source"]
    if "poison" in source:
        return 500, {"error": "cannot"}, 0.0
    return 200, {"taskInput": {"source": source, "prompt": f"Which animal? ({payload['dataObject']['id']})"}}, 0.0


def consolidation(payload: dict) -> tuple[int, object, float]:
    if "stubborn" in payload["dataObject"]["source"]:
        return 200, {}, 2.0  # longer than the timeout
    votes = Counter(json.loads(item["annotationData"]["content"])["animal"] for item in payload["annotations"])
    (winner, count), *_ = votes.most_common()
    return 200, {"label": {"animal": winner, "votes": dict(votes)}, "confidence": count / sum(votes.values())}, 0.0


def job_body(bucket, hooks, **overrides) -> dict:
    bucket.put("hooked/in.jsonl", manifest(LINES))
    hooks.handlers = {"/pre": pre_task, "/consolidate": consolidation}
    return {
        "name": "hooked",
        "label_attribute_name": "animal",
        "task_type": "custom",
        "template": TEMPLATE,
        "answer_schema": ANSWER_SCHEMA,
        "pre_task_hook_url": hooks.url("/pre"),
        "consolidation_hook_url": hooks.url("/consolidate"),
        "input_manifest_uri": bucket.uri("hooked/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "title": "Which animal?",
        "reward": "0.05",
        "workers_per_object": 2,
        **overrides,
    }


def answer_all(workers) -> list[dict]:
    """Each worker claims and answers what it is offered: the truth is in the source text."""
    offers = []
    for worker in workers:
        while (offer := claim_offer(worker)) is not None:
            offers.append(offer)
            animal = "dog" if "dog" in offer["input"]["source"] else "cat"
            submit_ok(worker, offer["assignment_id"], {"animal": animal})
    return offers


def test_a_custom_job_with_both_hooks_fails_only_the_objects_a_hook_failed_on(bucket, hooks, requester, make_worker):
    # given: the job created over REST (the hooks' secret shown once), its manifest ingested
    client = client_with(requester.api_key)
    created = client.post("/api/v1/labeling-jobs", job_body(bucket, hooks), format="json")
    assert created.status_code == 201, created.content
    hooks.secret = created.json()["hook_secret"]
    assert hooks.secret.startswith("whsec_")
    assert client.get(f"/api/v1/labeling-jobs/{created.json()['id']}").json()["hook_secret"] is None
    run_labeling_sweeps()
    job = LabelingJob.objects.get(pk=created.json()["id"])
    assert job.status == "in_progress", job.failure_reason

    # then: the pre-task hook was called once per object, three times for the one it failed on
    pre_calls = hooks.calls_to("/pre")
    assert Counter(call.payload["dataObject"]["id"] for call in pre_calls) == {"a": 1, "b": 3, "c": 1, "d": 1}
    assert all(call.signed and call.kind == "pre_task" for call in pre_calls)
    assert pre_calls[0].payload["version"] == "2018-10-16" and pre_calls[0].payload["labelingJobName"] == "hooked"
    objects = {json.loads(o.source_line)["id"]: o for o in DataObject.objects.filter(job=job).select_related("task")}
    assert objects["b"].status == "failed"
    assert objects["b"].failure_reason == "the pre_task hook failed 3 times: it answered HTTP 500"
    assert objects["b"].task.status == Task.Status.COMPLETE and objects["b"].task.slots_used == 0
    assert objects["a"].task.input == {"source": "a cat sat", "prompt": "Which animal? (a)", "$template": True}
    assert objects["a"].task.answer_schema == ANSWER_SCHEMA

    # when: two workers answer every task offered (an answer off the job's schema is refused)
    workers = [make_worker(), make_worker()]
    refused_offer = claim_offer(workers[0])
    refused = submit(workers[0], refused_offer["assignment_id"], {"animal": "horse"})
    assert refused.status_code == 400 and "answer" in json.dumps(refused.json()["error"]["fields"])
    submit_ok(
        workers[0],
        refused_offer["assignment_id"],
        {"animal": "cat" if "cat" in refused_offer["input"]["source"] else "dog"},
    )
    offers = answer_all(workers)
    assert refused_offer["input"]["$template"] is True and len(offers) + 1 == 6  # 3 objects x 2 workers
    for _ in range(4):
        run_labeling_sweeps()
    job.refresh_from_db()

    # then: the job completed; two objects labeled by the hook, two failed with their reasons
    assert job.status == "completed", job.failure_reason
    assert job.label_counters == {
        "total_labeled": 2,
        "human_labeled": 2,
        "machine_labeled": 0,
        "failed": 2,
        "unlabeled": 0,
    }
    consolidate_calls = hooks.calls_to("/consolidate")
    assert Counter(call.payload["dataObject"]["id"] for call in consolidate_calls) == {"a": 1, "c": 1, "d": 3}
    assert all(call.signed and call.kind == "consolidation" for call in consolidate_calls)
    first = next(call.payload for call in consolidate_calls if call.payload["dataObject"]["id"] == "a")
    assert first["taskInput"] == {"source": "a cat sat", "prompt": "Which animal? (a)"}
    assert sorted(item["workerId"] for item in first["annotations"]) == sorted(str(w.pk) for w in workers)
    assert {item["annotationData"]["content"] for item in first["annotations"]} == {'{"animal":"cat"}'}

    output = [json.loads(line) for line in bucket.get("out/hooked/manifests/output/output.manifest").splitlines()]
    by_id = {line["id"]: line for line in output}
    assert [line["id"] for line in output] == ["a", "b", "c", "d"]
    assert by_id["a"]["animal"] == {"animal": "cat", "votes": {"cat": 2}}
    assert by_id["c"]["animal"] == {"animal": "dog", "votes": {"dog": 2}}
    metadata = by_id["a"]["animal-metadata"]
    assert {key: metadata[key] for key in ("type", "job-name", "human-annotated", "confidence")} == {
        "type": "groundtruth/custom",
        "job-name": "labeling-job/hooked",
        "human-annotated": "yes",
        "confidence": 1.0,
    }
    assert "animal" not in by_id["b"] and "animal" not in by_id["d"]
    assert by_id["b"]["animal-metadata"]["failure-reason"] == "the pre_task hook failed 3 times: it answered HTTP 500"
    assert (
        by_id["d"]["animal-metadata"]["failure-reason"]
        == "the consolidation hook failed 3 times: timed out after 0.5 s"
    )


def test_a_request_signed_with_another_secret_fails_the_receivers_check(bucket, hooks, requester):
    # given: the receiver holds a secret that is not the job's
    created = client_with(requester.api_key).post("/api/v1/labeling-jobs", job_body(bucket, hooks), format="json")
    assert created.status_code == 201, created.content
    hooks.secret = "whsec_not-the-jobs"

    # when
    run_labeling_sweeps()

    # then: the receiver refused every call (401), so every object failed, and the job went on
    job = LabelingJob.objects.get(pk=created.json()["id"])
    assert {call.signed for call in hooks.calls} == {False}
    assert job.status == "in_progress"
    assert set(DataObject.objects.filter(job=job).values_list("failure_reason", flat=True)) == {
        "the pre_task hook failed 3 times: it answered HTTP 401"
    }


def test_an_answer_nested_too_deep_fails_that_object_only(bucket, hooks, requester):
    # given: a pre-task hook answering one object with JSON nested past the parser's stack
    created = client_with(requester.api_key).post("/api/v1/labeling-jobs", job_body(bucket, hooks), format="json")
    assert created.status_code == 201, created.content
    hooks.secret = created.json()["hook_secret"]
    deep = b'{"taskInput":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    hooks.handlers["/pre"] = lambda payload: (
        (200, deep, 0.0) if "poison" in payload["dataObject"]["source"] else pre_task(payload)
    )

    # when
    run_labeling_sweeps()

    # then: that object failed with the reason; the others became tasks and the job went on
    job = LabelingJob.objects.get(pk=created.json()["id"])
    assert job.status == "in_progress", job.failure_reason
    reasons = dict(DataObject.objects.filter(job=job).values_list("object_index", "failure_reason"))
    assert sorted(reasons.values()) == ["", "", "", "the pre_task hook failed 3 times: its answer is not JSON"]


def test_a_consolidation_pass_starts_no_call_after_its_deadline_and_the_next_pass_goes_on(
    bucket, hooks, requester, make_worker, settings
):
    # given: one hook thread, a consolidation hook taking 0.3 s a call, passes of 0.1 s
    settings.LABELING_HOOK_THREADS = 1
    settings.LABELING_HOOK_PASS_SECONDS = 0.1
    body = job_body(bucket, hooks, workers_per_object=1)
    created = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")
    assert created.status_code == 201, created.content
    hooks.secret = created.json()["hook_secret"]
    hooks.handlers["/consolidate"] = lambda payload: (*consolidation(payload)[:2], 0.3)
    run_labeling_sweeps()
    assert len(answer_all([make_worker()])) == 3  # "b" failed at the pre-task hook

    # when: one pass, then as many as it takes
    run_labeling_sweeps()
    after_one = len(hooks.calls_to("/consolidate"))
    for _ in range(6):
        run_labeling_sweeps()

    # then: the first pass called the hook once (the second call was due after its deadline);
    # the later passes labeled the rest, each object sent once (3 attempts for the stubborn one)
    assert after_one == 1
    job = LabelingJob.objects.get(pk=created.json()["id"])
    assert job.status == "completed", job.failure_reason
    calls = Counter(call.payload["dataObject"]["id"] for call in hooks.calls_to("/consolidate"))
    assert calls == {"a": 1, "c": 1, "d": 3}
    assert job.label_counters["total_labeled"] == 2 and job.label_counters["failed"] == 2


def test_a_consolidation_pass_reads_the_answers_of_due_objects_only(bucket, hooks, requester, make_worker):
    # given: a hooked job whose objects are answered by one of their two workers (none due yet)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from labeling.services.progress import job_advance

    created = client_with(requester.api_key).post("/api/v1/labeling-jobs", job_body(bucket, hooks), format="json")
    assert created.status_code == 201, created.content
    hooks.secret = created.json()["hook_secret"]
    run_labeling_sweeps()
    assert len(answer_all([make_worker()])) == 3

    # when: a consolidation pass runs
    with CaptureQueriesContext(connection) as queries:
        job_advance(job_id=created.json()["id"])

    # then: no query read the answers of the whole batch (nothing was due); no hook call
    batch_answers = [
        query["sql"]
        for query in queries
        if '"marketplace_assignment"."answer"' in query["sql"] and '"marketplace_task"."batch_id"' in query["sql"]
    ]
    assert batch_answers == []
    assert hooks.calls_to("/consolidate") == []
