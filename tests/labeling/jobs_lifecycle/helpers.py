"""Helpers shared by the tests of this package (test_jobs_lifecycle.py, split by topic)."""

from __future__ import annotations

import json

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Batch, Task
from tests.support import worker_api
from tests.support.factories import client_with

JOBS_URL = "/api/v1/labeling-jobs"


LABELS = ["cat", "dog"]


ATTRIBUTE = "species"


def manifest(lines: list) -> bytes:
    """JSON Lines from dicts (dumped), str (as written) and bytes (raw)."""
    raw = [
        line if isinstance(line, bytes) else (line if isinstance(line, str) else json.dumps(line)).encode()
        for line in lines
    ]
    return b"".join(line + b"\n" for line in raw)


def texts(n: int) -> list[dict]:
    """``n`` text objects whose true label is written in the text (the crowd below reads it)."""
    return [{"source": f"object {i}: {LABELS[i % 2]}"} for i in range(n)]


def truth(task_input: dict) -> str:
    return task_input["source"].rsplit(": ", 1)[1]


def other(label: str) -> str:
    return LABELS[1 - LABELS.index(label)]


def job_body(bucket, *, name: str = "job-1", lines: list | None = None, **overrides) -> dict:
    """A text classification job body whose manifest ``lines`` (default: 3 texts) are put in
    ``bucket`` under ``<name>/in.jsonl``."""
    bucket.put(f"{name}/in.jsonl", manifest(texts(3) if lines is None else lines))
    body = {
        "name": name,
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "input_manifest_uri": bucket.uri(f"{name}/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        "workers_per_object": 1,
    }
    body.update(overrides)
    return body


def post_job(requester, body: dict):
    return client_with(requester.api_key).post(JOBS_URL, body, format="json")


def create_job(requester, body: dict) -> dict:
    response = post_job(requester, body)
    assert response.status_code == 201, response.content
    return response.json()


def get_job(requester, job_id: int) -> dict:
    response = client_with(requester.api_key).get(f"{JOBS_URL}/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def stop_job(requester, job_id: int):
    return client_with(requester.api_key).post(f"{JOBS_URL}/{job_id}/stop")


def start_job(requester, body: dict) -> dict:
    """Create a job and run the sweep that ingests it; returns the job as the API shows it."""
    job = create_job(requester, body)
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert job["status"] == "in_progress", job["failure_reason"]
    return job


def work_created() -> dict:
    return {
        "batches": Batch.objects.count(),
        "tasks": Task.objects.count(),
        "data_objects": DataObject.objects.count(),
        "assignments": Assignment.objects.count(),
    }


NOTHING = {"batches": 0, "tasks": 0, "data_objects": 0, "assignments": 0}


def answer_next(worker, choose=lambda task_input: {"label": truth(task_input)}) -> int | None:
    """Claim the next task and submit ``choose(input)``; the task id, or None when none is offered."""
    offer = worker_api.answer_next(worker, lambda offer: choose(offer["input"]))
    return None if offer is None else offer["task_id"]


def answer_all(worker, choose=lambda task_input: {"label": truth(task_input)}) -> int:
    """Answer every task offered to ``worker``; how many it answered."""
    answered = 0
    while answer_next(worker, choose) is not None:
        answered += 1
    return answered


def counters(job: dict) -> dict:
    return job["label_counters"]


def output_lines(bucket, job: dict) -> list[dict]:
    key = job["output_manifest_uri"].removeprefix(bucket.uri())
    return [json.loads(line) for line in bucket.get(key).decode().splitlines()]


def failure_metadata(reason: str, job_name: str = "job-1") -> dict:
    return {
        "type": "groundtruth/text-classification",
        "job-name": f"labeling-job/{job_name}",
        "human-annotated": "yes",
        "failure-reason": reason,
    }


def without_date(metadata: dict) -> dict:
    return {key: value for key, value in metadata.items() if key != "creation-date"}


def labeled_line(line: dict) -> tuple:
    """(source, class id, class name) of a labeled output line."""
    return line["source"], line[ATTRIBUTE], line[f"{ATTRIBUTE}-metadata"]["class-name"]
