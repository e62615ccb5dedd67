"""Workers' records from earlier jobs in a job's consolidation (issue 23): one answer per object
from a worker with a long good record on the same task type and labels is worth more than one
from a newcomer. Real S3 (moto), the real REST routes, the background driven by the sweeps;
the earlier job's per-batch estimates are real rows of the reputation tables."""

from __future__ import annotations

import json

import pytest

from labeling.models import DataObject
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from labeling.task_types import ObjectAnswers, get_task_type
from marketplace.models import WorkerBatchEstimate
from marketplace.selectors.workers import worker_batch_records
from tests.support.factories import client_with

LABELS = ["cat", "dog"]


def _create_job(requester, s3, name: str, *, labels=LABELS, workers_per_object: int = 1) -> dict:
    s3.put(
        f"{name}.jsonl",
        "".join(json.dumps({"source": f"{name} {i}: {LABELS[i % 2]}"}) + "\n" for i in range(8)).encode(),
    )
    created = client_with(requester.api_key).post(
        "/api/v1/labeling-jobs",
        {
            "name": name,
            "label_attribute_name": "species",
            "task_type": "text_classification",
            "input_manifest_uri": s3.uri(f"{name}.jsonl"),
            "output_uri": s3.uri(f"{name}-out/"),
            "label_categories": labels,
            "title": "Cat or dog?",
            "reward": "0.05",
            "workers_per_object": workers_per_object,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    run_labeling_sweeps()
    job = client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{created.json()['id']}").json()
    assert job["status"] == "in_progress", job["failure_reason"]
    return job


def _answer(worker, count: int) -> None:
    for _ in range(count):
        response = worker.client.post("/api/v1/worker/tasks/next")
        assert response.status_code == 200, response.content
        task = response.json()
        label = task["input"]["source"].rsplit(": ", 1)[1]
        submitted = worker.client.post(
            f"/api/v1/worker/assignments/{task['assignment_id']}/submit", {"answer": {"label": label}}, format="json"
        )
        assert submitted.status_code == 200, submitted.content


def test_a_proven_worker_answering_alone_gets_a_higher_confidence_than_a_newcomer(s3, requester, make_worker):
    # given: an earlier job of the same task type and labels, where the proven worker's
    # consolidation estimate was 95% over 300 answers, and one with other labels where the
    # newcomer looked just as good (it must not count: other labels, other work)
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    proven, newcomer = make_worker(), make_worker()
    earlier = _create_job(requester, s3, "earlier")
    other = _create_job(requester, s3, "other", labels=["cat", "dog", "bird"])
    WorkerBatchEstimate.objects.create(
        worker=proven, batch_id=earlier["batch_id"], estimated_accuracy=0.95, answers=300
    )
    WorkerBatchEstimate.objects.create(
        worker=newcomer, batch_id=other["batch_id"], estimated_accuracy=0.95, answers=300
    )
    for done in (earlier, other):  # their tasks must not be offered any more
        stopped = client_with(requester.api_key).post(f"/api/v1/labeling-jobs/{done['id']}/stop")
        assert stopped.status_code in (200, 202), stopped.content
    run_labeling_sweeps()
    job = _create_job(requester, s3, "now")

    # when: each answers half of the new job's objects, one answer per object
    _answer(proven, 4)
    _answer(newcomer, 4)
    run_labeling_sweeps()

    # then: every object has a label; the proven worker's carry a confidence near their record,
    # the newcomer's a coin flip's, and none is 0
    objects = DataObject.objects.filter(job_id=job["id"]).select_related("task")
    by_worker = {proven.pk: [], newcomer.pk: []}
    for item in objects:
        answered_by = item.task.assignments.get().worker_id
        assert item.result is not None and item.confidence > 0
        by_worker[answered_by].append(item.confidence)
    assert len(by_worker[proven.pk]) == len(by_worker[newcomer.pk]) == 4
    assert min(by_worker[proven.pk]) > 0.85
    assert max(by_worker[newcomer.pk]) < 0.6


def test_worker_batch_records_weights_by_answers_and_reads_only_the_given_batches(s3, requester, make_worker):
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    worker, other = make_worker(), make_worker()
    first, second, third = (_create_job(requester, s3, name) for name in ("one", "two", "three"))
    WorkerBatchEstimate.objects.create(worker=worker, batch_id=first["batch_id"], estimated_accuracy=0.9, answers=100)
    WorkerBatchEstimate.objects.create(worker=worker, batch_id=second["batch_id"], estimated_accuracy=0.6, answers=50)
    WorkerBatchEstimate.objects.create(worker=worker, batch_id=third["batch_id"], estimated_accuracy=0.1, answers=900)
    WorkerBatchEstimate.objects.create(worker=other, batch_id=first["batch_id"], estimated_accuracy=0.7, answers=0)

    records = worker_batch_records(worker_ids=[worker.pk, other.pk], batch_ids=[first["batch_id"], second["batch_id"]])

    assert records.keys() == {worker.pk}  # no answers, no record
    accuracy, answers = records[worker.pk]
    assert answers == 150
    assert accuracy == pytest.approx((0.9 * 100 + 0.6 * 50) / 150)


def test_the_classification_task_types_take_worker_records():
    # Worker 0 answers objects 0-9, worker 1 objects 10-19, both classes each.
    objects = [
        ObjectAnswers(index=i, workers=(i // 10,), answers=({"label": LABELS[i % 2]},), task_input={})
        for i in range(20)
    ]
    for name in ("text_classification", "image_classification"):
        outcome = get_task_type(name).consolidate(
            objects, n_workers=2, labels=LABELS, gold={}, worker_records={0: (0.95, 400)}
        )
        proven = [result.confidence for result in outcome.objects if result.index < 10]
        unknown = [result.confidence for result in outcome.objects if result.index >= 10]
        assert min(proven) > 0.85 > 0.6 > max(unknown)


def test_the_multilabel_task_types_take_worker_records():
    # Worker 0 (a record of 90% whole answers right on 2 labels) and a newcomer, alone each.
    objects = [
        ObjectAnswers(index=i, workers=(i // 10,), answers=({"labels": [LABELS[i % 2]]},), task_input={})
        for i in range(20)
    ]
    for name in ("text_multilabel", "image_multilabel"):
        outcome = get_task_type(name).consolidate(
            objects, n_workers=2, labels=LABELS, gold={}, worker_records={0: (0.9, 400)}
        )
        chosen = [result.result["probabilities"][index % 2] for index, result in enumerate(outcome.objects)]
        assert min(chosen[:10]) > 0.85
        assert max(chosen[10:]) < 0.6
        assert min(result.confidence for result in outcome.objects) > 0
