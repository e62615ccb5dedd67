"""A job with automated labeling driven to its end by workers answering over the worker API.

Objects are texts ``"object <i>"``; the test decides each one's truth (``truth``: text →
label) and the requester's predictions (``prediction_key`` ``"p"``: probabilities in label
order), so what the model may machine-label is known exactly. Workers see only the text and
answer the truth the test gives them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from labeling.automation import MIN_OBJECTS
from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Task
from tests.support import worker_api
from tests.support.factories import client_with

JOBS_URL = "/api/v1/labeling-jobs"
LABELS = ["cat", "dog"]
ATTRIBUTE = "species"
# Large enough for automated labeling, small enough to be fast.
OBJECTS = max(MIN_OBJECTS, 300)


def text(i: int) -> str:
    return f"object {i}"


def predicted(probability_cat: float) -> list[float]:
    return [round(probability_cat, 4), round(1 - probability_cat, 4)]


def manifest_lines(n: int, prediction: Callable[[int], list[float]]) -> bytes:
    lines = [json.dumps({"source": text(i), "p": prediction(i)}) for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def job_body(bucket, lines: bytes, *, name: str = "auto-1", automation: dict | None = None, **overrides) -> dict:
    bucket.put(f"{name}/in.jsonl", lines)
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
        "automated_labeling": {"target_accuracy": 0.9, "prediction_key": "p"} if automation is None else automation,
    }
    body.update(overrides)
    return body


def post_job(requester, body: dict):
    return client_with(requester.api_key).post(JOBS_URL, body, format="json")


def get_job(requester, job_id: int) -> dict:
    response = client_with(requester.api_key).get(f"{JOBS_URL}/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def start_job(requester, body: dict) -> dict:
    response = post_job(requester, body)
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    job = get_job(requester, response.json()["id"])
    assert job["status"] == "in_progress", job["failure_reason"]
    return job


def stop_job(requester, job_id: int):
    return client_with(requester.api_key).post(f"{JOBS_URL}/{job_id}/stop")


def switch_off(requester, job_id: int, body: object = None):
    return client_with(requester.api_key).post(
        f"{JOBS_URL}/{job_id}/automated-labeling", {"enabled": False} if body is None else body, format="json"
    )


def open_texts(job_id: int) -> set[str]:
    """The texts of the job's objects offered to workers now (the sample, at first)."""
    batch_id = LabelingJob.objects.values_list("batch_id", flat=True).get(pk=job_id)
    inputs = Task.objects.filter(batch_id=batch_id, status=Task.Status.OPEN).values_list("input", flat=True)
    return {task_input["source"] for task_input in inputs}


def answer_everything(worker, truth: Callable[[str], str]) -> int:
    """``worker`` answers every task offered, with the truth; how many it answered."""
    answered = 0
    while worker_api.answer_next(worker, lambda offer: {"label": truth(offer["input"]["source"])}) is not None:
        answered += 1
    return answered


def drive(requester, job_id: int, worker, truth: Callable[[str], str], *, until=None, passes: int = 60) -> dict:
    """Answer and run the background passes until the job ended (or ``until(job)`` holds);
    returns the job as the API shows it then."""
    for _ in range(passes):
        answer_everything(worker, truth)
        run_labeling_sweeps()
        job = get_job(requester, job_id)
        if job["status"] in ("completed", "stopped", "failed") or (until is not None and until(job)):
            return job
    raise AssertionError(f"the job did not end in {passes} passes: {job}")


def output_lines(bucket, job: dict) -> list[dict]:
    key = job["output_manifest_uri"].removeprefix(bucket.uri())
    return [json.loads(line) for line in bucket.get(key).decode().splitlines()]


def machine_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get(f"{ATTRIBUTE}-metadata", {}).get("human-annotated") == "no"]


def objects_of(job_id: int):
    return DataObject.objects.filter(job_id=job_id)
