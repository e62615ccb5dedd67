"""Without hooks (docs/templates.md "Answers and consolidation"): a template on a built-in task
type keeps that type's answers, consolidation and output; task type ``custom`` writes each
object's answers out per worker."""

from __future__ import annotations

import json

import pytest

from labeling.models import LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from tests.labeling.jobs_lifecycle.helpers import manifest
from tests.support.factories import client_with
from tests.support.worker_api import claim_offer, submit, submit_ok

pytestmark = pytest.mark.django_db

LINES = [{"source": "one cat"}, {"source": "two dogs"}]


def run_job(bucket, requester, workers, body: dict, answer_for) -> tuple[LabelingJob, list[dict]]:
    bucket.put(f"{body['name']}/in.jsonl", manifest(LINES))
    body = {
        "input_manifest_uri": bucket.uri(f"{body['name']}/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "title": "Animals",
        "reward": "0.05",
        "workers_per_object": len(workers),
        **body,
    }
    created = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["hook_secret"] is None
    run_labeling_sweeps()
    for index, worker in enumerate(workers):
        while (offer := claim_offer(worker)) is not None:
            submit_ok(worker, offer["assignment_id"], answer_for(index, offer))
    for _ in range(3):
        run_labeling_sweeps()
    job = LabelingJob.objects.get(pk=created.json()["id"])
    lines = bucket.get(f"out/{body['name']}/manifests/output/output.manifest").splitlines()
    return job, [json.loads(line) for line in lines]


def test_a_template_on_a_built_in_type_keeps_its_answers_and_consolidation(bucket, requester, make_worker):
    # given: a text classification job shown through a template
    workers = [make_worker(), make_worker(), make_worker()]
    body = {
        "name": "templated-classes",
        "label_attribute_name": "animal",
        "task_type": "text_classification",
        "label_categories": ["cat", "dog"],
        "template": '<gw-classifier text="{{ task.input.source }}" '
        'labels="{{ task.labels | to_json }}"></gw-classifier>',
    }

    def answer(index: int, offer: dict) -> dict:
        truth = "cat" if "cat" in offer["input"]["source"] else "dog"
        if index == 0:  # an answer in another shape is refused: the task type's schema holds
            refused = submit(workers[0], offer["assignment_id"], {"animal": truth})
            assert refused.status_code == 400
        return {"label": truth if index < 2 else "dog"}

    # when
    job, output = run_job(bucket, requester, workers, body, answer)

    # then: consolidated and written as text classification
    assert job.status == "completed"
    assert [line["animal"] for line in output] == [0, 1]
    assert [line["animal-metadata"]["class-name"] for line in output] == ["cat", "dog"]
    assert output[0]["animal-metadata"]["type"] == "groundtruth/text-classification"
    assert 0.5 < output[0]["animal-metadata"]["confidence"] < 1


def test_a_custom_job_without_hooks_writes_each_workers_answer(bucket, requester, make_worker):
    # given: task type custom, any JSON object as an answer, no label categories
    workers = [make_worker(), make_worker()]
    body = {
        "name": "free-notes",
        "label_attribute_name": "notes",
        "task_type": "custom",
        "template": '<p>{{ task.input.source }}</p><textarea name="note" required></textarea><button>Send</button>',
    }

    # when
    job, output = run_job(
        bucket, requester, workers, body, lambda index, offer: {"note": f"w{index}: {offer['input']['source']}"}
    )

    # then: one line per object, its workers' answers in submission order, no confidence
    assert job.status == "completed"
    assert job.label_counters["human_labeled"] == 2
    assert [line["notes"] for line in output] == [
        {"annotations": [{"note": "w0: one cat"}, {"note": "w1: one cat"}]},
        {"annotations": [{"note": "w0: two dogs"}, {"note": "w1: two dogs"}]},
    ]
    metadata = output[0]["notes-metadata"]
    assert metadata["type"] == "groundtruth/custom" and "confidence" not in metadata
