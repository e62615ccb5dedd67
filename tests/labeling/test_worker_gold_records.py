"""Workers' gold from earlier jobs, counted against the truth, in a job's consolidation
(issue 23): a job's consolidation pass keeps each worker's answers on its gold objects counted
(``WorkerGoldTally``), and a later job of the same task type and labels passes their sum to its
task type's ``consolidate`` as the worker's error pattern. Real S3 (moto), the real REST routes,
the background driven by the sweeps."""

from __future__ import annotations

import json

from labeling.models import WorkerGoldTally
from labeling.selectors.records import worker_gold_records
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from labeling.task_types import GoldTally, get_task_type
from tests.support.factories import client_with

LABELS = ["person", "place"]
# Each text names a person at 0..5 and a place at 10..16.
TRUTH = [{"label": "person", "start": 0, "end": 5}, {"label": "place", "start": 10, "end": 16}]


def _jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _create_job(requester, s3, name: str, *, gold: int, labels=LABELS, workers_per_object: int = 1) -> dict:
    s3.put(f"{name}.jsonl", _jsonl([{"source": f"Alice was in Berlin, text {i}"} for i in range(3)]))
    s3.put(
        f"{name}-gold.jsonl",
        _jsonl([{"source": f"Alice was in Berlin, gold {i}", "ner": {"entities": TRUTH}} for i in range(gold)]),
    )
    created = client_with(requester.api_key).post(
        "/api/v1/labeling-jobs",
        {
            "name": name,
            "label_attribute_name": "ner",
            "task_type": "named_entity_recognition",
            "input_manifest_uri": s3.uri(f"{name}.jsonl"),
            "output_uri": s3.uri(f"{name}-out/"),
            **({"gold_manifest_uri": s3.uri(f"{name}-gold.jsonl")} if gold else {}),
            "label_categories": labels,
            "title": "People and places",
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


def _answer_all(worker, entities: list[dict]) -> int:
    answered = 0
    while (response := worker.client.post("/api/v1/worker/tasks/next")).status_code == 200:
        task = response.json()
        submitted = worker.client.post(
            f"/api/v1/worker/assignments/{task['assignment_id']}/submit",
            {"answer": {"entities": entities}},
            format="json",
        )
        assert submitted.status_code == 200, submitted.content
        answered += 1
    return answered


def test_a_jobs_gold_is_counted_per_worker_and_read_by_later_jobs_of_the_same_type_and_labels(
    s3, requester, make_worker, monkeypatch
):
    # given: an earlier job with 4 gold texts, answered by a worker who marks the person
    # exactly, misses the place and marks a stray span
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    worker = make_worker()
    earlier = _create_job(requester, s3, "earlier", gold=4)
    answer = [TRUTH[0], {"label": "place", "start": 20, "end": 24}]

    # when: they answer all of it and the job is consolidated
    assert _answer_all(worker, answer) == 7
    run_labeling_sweeps()

    # then: their gold is counted: 4 texts, 8 true spans of which 4 found, 8 drawn, 4 strays
    row = WorkerGoldTally.objects.get(job_id=earlier["id"], worker=worker)
    assert (row.items, row.true_objects, row.found, row.found_exact) == (4, 8, 4, 4)
    assert (row.drawn, row.drawn_stray, row.drawn_inexact) == (8, 4, 4)

    # and given: a later job of the same type and labels
    later = _create_job(requester, s3, "later", gold=0)
    passed = []
    task_type = type(get_task_type("named_entity_recognition"))
    consolidate = task_type.consolidate

    def spy(self, objects, **kwargs):
        passed.append(kwargs.get("worker_gold_records"))
        return consolidate(self, objects, **kwargs)

    monkeypatch.setattr(task_type, "consolidate", spy)

    # when: the worker answers it
    assert _answer_all(worker, TRUTH) == 3
    run_labeling_sweeps()

    # then: its consolidation got the earlier job's tally as the worker's gold record
    expected = GoldTally(items=4, objects=8, found=4, found_exact=4, drawn=8, drawn_stray=4, drawn_inexact=4)
    assert passed and all(list(records.values()) == [expected] for records in passed)
    assert worker_gold_records(job=_job(later), worker_ids=[worker.pk]) == {worker.pk: expected}
    # and a job with other labels (other work) reads none, nor the earlier job its own
    other = _create_job(requester, s3, "other", gold=0, labels=["person", "place", "date"])
    assert worker_gold_records(job=_job(other), worker_ids=[worker.pk]) == {}
    assert worker_gold_records(job=_job(earlier), worker_ids=[worker.pk]) == {}


def test_strays_two_workers_of_a_gold_text_marked_alike_are_kept_as_decoys_in_their_records(s3, requester, make_worker):
    # given: a job of 2 workers a text with 3 gold texts; both mark the person exactly and the
    # same span where no entity is (a decoy: "Berlin, " is no place here)
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    first, second = make_worker(), make_worker()
    job = _create_job(requester, s3, "decoys", gold=3, workers_per_object=2)
    answer = [TRUTH[0], {"label": "place", "start": 20, "end": 24}]

    # when: both answer all of it and the job is consolidated
    assert _answer_all(first, answer) == 6
    assert _answer_all(second, answer) == 6
    run_labeling_sweeps()

    # then: each one's stray on the 3 gold texts was drawn alike by the one other annotator,
    # and a later job of the same type and labels reads it as part of their records
    for worker in (first, second):
        row = WorkerGoldTally.objects.get(job_id=job["id"], worker=worker)
        assert (row.items, row.drawn_stray, row.drawn_shared, row.shared_by, row.peers) == (3, 3, 3, 3, 3)
    later = _create_job(requester, s3, "later", gold=0)
    records = worker_gold_records(job=_job(later), worker_ids=[first.pk, second.pk])
    assert [(tally.drawn_shared, tally.shared_by, tally.peers) for tally in records.values()] == [(3, 3, 3)] * 2


def _job(job: dict):
    from labeling.models import LabelingJob

    return LabelingJob.objects.get(pk=job["id"])
