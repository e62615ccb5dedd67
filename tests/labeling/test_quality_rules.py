"""A labeling job's quality rules (docs/quality.md): its gold objects are gold tasks, a worker
failing them is stopped through the real dispatch, and with ``exclude_answers`` its answers are
left out of the job's consolidation while its work is still settled by the auto-approval policy.
Real S3 (moto), the real REST routes, and the background driven by the sweeps."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import DataObject, LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, WorkerBatchEstimate, WorkerBatchQuality
from marketplace.services.sweeps import run_sweeps
from tests.support.factories import client_with

LABELS = ["cat", "dog"]


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def truth(task_input: dict) -> str:
    return task_input["source"].rsplit(": ", 1)[1]


def answer_all(worker, choose) -> list[int]:
    """Claim and answer until nothing is offered; the task ids answered."""
    answered = []
    while (response := worker.client.post("/api/v1/worker/tasks/next")).status_code == 200:
        task = response.json()
        submitted = worker.client.post(
            f"/api/v1/worker/assignments/{task['assignment_id']}/submit",
            {"answer": {"label": choose(task["input"])}},
            format="json",
        )
        assert submitted.status_code == 200, submitted.content
        answered.append(task["task_id"])
    assert response.status_code == 204, response.content
    return answered


@pytest.mark.parametrize("exclude_answers", [True, False])
def test_a_worker_failing_gold_is_stopped_and_its_answers_left_out(s3, requester, make_worker, exclude_answers):
    # given: 8 objects and 3 gold ones (all "cat"); 3 answers per object
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    s3.put("in.jsonl", jsonl([{"source": f"object {i}: {LABELS[i % 2]}"} for i in range(8)]))
    s3.put("gold.jsonl", jsonl([{"source": f"gold {i}: cat", "species": {"label": "cat"}} for i in range(3)]))
    rules = {"min_gold_accuracy": 0.5, "min_gold_answers": 2, "exclude_answers": exclude_answers}
    created = client_with(requester.api_key).post(
        "/api/v1/labeling-jobs",
        {
            "name": "quality",
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "input_manifest_uri": s3.uri("in.jsonl"),
            "output_uri": s3.uri("out/"),
            "gold_manifest_uri": s3.uri("gold.jsonl"),
            "label_categories": LABELS,
            "title": "Cat or dog?",
            "reward": "0.05",
            "workers_per_object": 3,
            "quality_rules": rules,
            "auto_approval_policy": "reject_gold_failures",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["quality_rules"], created.json()["auto_approval_policy"]) == (rules, "reject_gold_failures")
    run_labeling_sweeps()
    job = client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{created.json()['id']}").json()
    assert job["status"] == "in_progress", job["failure_reason"]
    batch = client_with(requester.api_key).get(f"/api/v1/batches/{job['batch_id']}").json()
    assert (batch["quality_rules"], batch["auto_approval_policy"]) == (rules, "reject_gold_failures")
    liar, good, better = make_worker(), make_worker(), make_worker()

    # when: the liar answers the opposite of the truth until nothing more is offered
    lied_on = answer_all(liar, lambda task_input: LABELS[1 - LABELS.index(truth(task_input))])
    answer_all(good, truth)
    answer_all(better, truth)
    run_labeling_sweeps()

    # then: it was stopped after its second gold answer, with tasks still open to it
    gold_tasks = set(DataObject.objects.filter(job_id=job["id"], is_gold=True).values_list("task_id", flat=True))
    assert len(set(lied_on) & gold_tasks) == 2
    assert len(lied_on) < 11
    quality = WorkerBatchQuality.objects.get(worker=liar, batch_id=job["batch_id"])
    assert (quality.gold_answered, quality.gold_correct) == (2, 0)
    assert quality.excluded_at is not None
    # its answers count in consolidation only without exclude_answers
    for item in DataObject.objects.filter(job_id=job["id"]):
        answers = Assignment.objects.filter(task_id=item.task_id, status="submitted")
        if exclude_answers:
            answers = answers.exclude(worker=liar)
        assert item.answers == answers.count(), item.pk
        if item.result is not None and not item.is_gold:
            assert LABELS[item.result["label"]] == json.loads(item.source_line)["source"].rsplit(": ", 1)[1]
    estimated = set(WorkerBatchEstimate.objects.filter(batch_id=job["batch_id"]).values_list("worker_id", flat=True))
    assert estimated == ({good.pk, better.pk} if exclude_answers else {liar.pk, good.pk, better.pk})

    # and its work is still settled by the policy: gold failures rejected, the rest approved
    Assignment.objects.filter(status="submitted").update(auto_approve_at=timezone.now() - timedelta(seconds=1))
    run_sweeps()
    settled = dict(Assignment.objects.filter(worker=liar).values_list("task_id", "status"))
    assert settled == {task_id: "rejected" if task_id in gold_tasks else "approved" for task_id in lied_on}
    assert set(Assignment.objects.exclude(worker=liar).values_list("status", flat=True)) == {"approved"}


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"quality_rules": []}, {"quality_rules": ["must be an object"]}),
        (
            {"quality_rules": {"min_gold_accuracy": 2}},
            {"quality_rules.min_gold_accuracy": ["must be a number from 0 to 1"]},
        ),
        (
            {"quality_rules": {"min_gold_answers": -3}},
            {"quality_rules.min_gold_answers": ["must be an integer from 1 to 10000"]},
        ),
        (
            {"auto_approval_policy": "approve_some"},
            {"auto_approval_policy": ["must be one of approve_all, reject_gold_failures"]},
        ),
    ],
)
def test_a_job_with_bad_quality_fields_is_a_400_naming_them(requester, extra, fields):
    # given
    storage_register(organization=requester.organization, uri_prefix="s3://gw-registered/")
    body = {
        "name": "job-1",
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "input_manifest_uri": "s3://gw-registered/in.jsonl",
        "output_uri": "s3://gw-registered/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        **extra,
    }
    # when
    response = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")
    # then
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == fields
    assert LabelingJob.objects.count() == 0
