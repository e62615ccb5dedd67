"""Helpers of the chaining tests: jobs created and read over REST, run by the background pass,
answered by workers over the worker API, their manifests read back from S3."""

from __future__ import annotations

import json
from collections.abc import Callable

from labeling.models import DataObject, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.services.workteams import public_workforce
from tests.support import worker_api
from tests.support.factories import client_with

JOBS_URL = "/api/v1/labeling-jobs"
IMAGE_SIZE = {"width": 100, "height": 80}


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")


def read_jsonl(bucket, uri: str) -> list[dict]:
    return [json.loads(line) for line in bucket.get(uri.removeprefix(bucket.uri())).decode().splitlines() if line]


def post_job(requester, body: dict):
    return client_with(requester.api_key).post(JOBS_URL, body, format="json")


def get_job(requester, job_id: int) -> dict:
    response = client_with(requester.api_key).get(f"{JOBS_URL}/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def start_job(requester, body: dict) -> dict:
    """Create a job over REST and run the pass that ingests it; the job, ``in_progress``."""
    response = post_job(requester, body)
    assert response.status_code == 201, response.content
    run_labeling_sweeps()
    job = get_job(requester, response.json()["id"])
    assert job["status"] == "in_progress", job["failure_reason"]
    return job


def finish_job(requester, job_id: int, *, stop: bool = False) -> dict:
    """Run the background passes until the job ended (stopping it first if ``stop``)."""
    if stop:
        response = client_with(requester.api_key).post(f"{JOBS_URL}/{job_id}/stop")
        assert response.status_code == 200, response.content
    for _ in range(5):
        run_labeling_sweeps()
        job = get_job(requester, job_id)
        if job["status"] in ("completed", "stopped", "failed"):
            return job
    raise AssertionError(f"job {job_id} did not end: {job}")


def answer_all(
    worker, choose: Callable[[dict], dict], *, skip: Callable[[dict], bool] = lambda task_input: False
) -> int:
    """``worker`` answers every task offered with ``choose(input)``, except those ``skip``
    picks: it holds them until nothing else is offered (so it is not offered them again), then
    gives them back. Returns how many it answered."""
    answered, held = 0, []
    while (offer := worker_api.claim_offer(worker)) is not None:
        if skip(offer["input"]):
            held.append(offer["assignment_id"])
            continue
        worker_api.submit_ok(worker, offer["assignment_id"], choose(offer["input"]))
        answered += 1
    for assignment_id in held:
        assert worker_api.give_back(worker, assignment_id).status_code == 200
    return answered


def confidences(job_id: int) -> list[float | None]:
    """The job's objects' confidences, in the order its output manifest lists them."""
    rows = DataObject.objects.filter(job_id=job_id, is_gold=False).order_by("line_number")
    return list(rows.values_list("confidence", flat=True))


def box(label: str, left: float, top: float = 10, width: float = 30, height: float = 20) -> dict:
    return {"label": label, "left": left, "top": top, "width": width, "height": height}


def boxes_answer(*boxes: dict) -> dict:
    return {"boxes": list(boxes), "image_size": dict(IMAGE_SIZE)}


def ended_job(requester, *, name: str, status: str = "completed", **fields) -> LabelingJob:
    """A job row as a job that ran would leave it (no work behind it): for the tests of what a
    chain may start from, and of sources whose output manifest the test writes itself."""
    defaults = {
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "label_categories": ["cat", "dog"],
        "output_uri": "s3://gw-chain-tests/out/",
        "title": "Cat or dog?",
        "workteam": public_workforce(),
        "workers_per_object": 1,
        "min_workers_per_object": 1,
        "max_workers_per_object": 1,
        "task_time_limit_seconds": 300,
        "task_availability_lifetime_seconds": 3600,
        "reward_micros": 10_000,
        "auto_approval_delay_seconds": 3600,
    }
    return LabelingJob.objects.create(
        requester=requester.organization, name=name, status=status, **{**defaults, **fields}
    )
